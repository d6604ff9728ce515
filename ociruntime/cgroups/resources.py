"""OCI linux.resources: validation and the v1/v2 value conversions runc uses."""

from ociruntime.errors import CgroupError

INT64_MAX = (1 << 63) - 1
UINT32_MAX = (1 << 32) - 1
FIELD = "linux.resources"


def field_name(*parts):
    return ".".join((FIELD,) + parts)


def get_int(section, key, field, minimum=-1, maximum=INT64_MAX):
    """section[key] as an int within [minimum, maximum], or None when unset."""
    value = section.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise CgroupError(f"{field}: expected an integer, got {value!r}")
    if not minimum <= value <= maximum:
        raise CgroupError(f"{field}: {value} is out of range [{minimum}, {maximum}]")
    return value


def section(resources, key):
    """resources[key] as a dict (missing or null -> {})."""
    value = resources.get(key) or {}
    if not isinstance(value, dict):
        raise CgroupError(f"{field_name(key)}: expected an object")
    return value


def device_entries(blkio, key, value_key):
    """[(field, "maj:min", value)] of one blockIO per-device list, checked."""
    out = []
    for index, dev in enumerate(blkio.get(key) or []):
        field = field_name("blockIO", f"{key}[{index}]")
        major = get_int(dev, "major", field + ".major", minimum=0)
        minor = get_int(dev, "minor", field + ".minor", minimum=0)
        value = get_int(dev, value_key, f"{field}.{value_key}", minimum=0)
        if major is None or minor is None or value is None:
            raise CgroupError(f"{field}: needs major, minor and {value_key}")
        out.append((field, f"{major}:{minor}", value))
    return out


def hugepage_limits(resources):
    """[(field, pageSize, limit)] of linux.resources.hugepageLimits, checked."""
    out = []
    for index, item in enumerate(resources.get("hugepageLimits") or []):
        field = field_name(f"hugepageLimits[{index}]")
        limit = get_int(item, "limit", field + ".limit", minimum=0)
        size = item.get("pageSize")
        if not isinstance(size, str) or not size.isalnum():
            raise CgroupError(f"{field}.pageSize: expected a size like \"2MB\", got {size!r}")
        out.append((field, size, limit or 0))
    return out


def shares_to_weight(shares):
    """cpu.shares [2, 262144] -> cpu.weight [1, 10000], exactly as runc."""
    if shares == 0:
        return 0
    return 1 + ((shares - 2) * 9999) // 262142


def blkio_weight_to_io_weight(weight):
    """blkio.weight [10, 1000] -> io.weight [1, 10000], as runc."""
    if weight == 0:
        return 0
    return 1 + (weight - 10) * 9999 // 990


def swap_v2(swap, limit):
    """OCI memory.swap (memory+swap) -> memory.swap.max (swap only), as runc; None = leave alone."""
    limit = limit or 0
    swap = swap or 0
    field = field_name("memory", "swap")
    if limit == -1 and swap == 0:
        return -1
    if swap == 0:
        return None
    if swap == -1:
        return -1
    if limit in (0, -1):
        raise CgroupError(f"{field}: a swap limit needs a memory limit")
    if swap < limit:
        raise CgroupError(f"{field}: memory+swap limit {swap} is below the memory limit {limit}")
    return swap - limit


def limit_text(value):
    """-1 -> "max" (v2 files); others as is."""
    return "max" if value == -1 else str(value)


class DeviceRule:
    """One OCI device cgroup rule; None major/minor means any."""

    def __init__(self, allow, dev_type, major, minor, access):
        self.allow = allow
        self.type = dev_type
        self.major = major
        self.minor = minor
        self.access = access

    def v1_line(self):
        """The "c 1:3 rwm" text for devices.allow / devices.deny."""
        if self.type == "a":
            return "a"
        major = "*" if self.major is None else self.major
        minor = "*" if self.minor is None else self.minor
        return f"{self.type} {major}:{minor} {self.access}"


def device_rules(resources):
    """linux.resources.devices -> [DeviceRule], checked."""
    rules = []
    for index, raw in enumerate(resources.get("devices") or []):
        field = field_name(f"devices[{index}]")
        if not isinstance(raw, dict) or not isinstance(raw.get("allow"), bool):
            raise CgroupError(f"{field}: needs a boolean \"allow\"")
        dev_type = raw.get("type") or "a"
        if dev_type not in ("a", "b", "c"):
            raise CgroupError(f"{field}.type: unknown device type {dev_type!r}")
        access = raw.get("access") or "rwm"
        # as runc: the letters r, w, m count, others are dropped ("rwa" is "rw"); none of them is refused
        if not isinstance(access, str) or not set(access) & set("rwm"):
            raise CgroupError(f"{field}.access: {access!r} has none of r, w, m")
        numbers = []
        for key in ("major", "minor"):
            value = get_int(raw, key, f"{field}.{key}", minimum=-1, maximum=(1 << 32) - 1)
            numbers.append(None if value in (None, -1) else value)
        access = "".join(sorted(set(access) & set("rwm"), key="rwm".index))
        rules.append(DeviceRule(raw["allow"], dev_type, numbers[0], numbers[1], access))
    return rules


# runc's specconv.AllowedDevices, appended after the spec's own rules.
RUNC_DEFAULT_DEVICE_RULES = [
    {"allow": True, "type": "c", "access": "m"},
    {"allow": True, "type": "b", "access": "m"},
    {"allow": True, "type": "c", "major": 1, "minor": 3, "access": "rwm"},
    {"allow": True, "type": "c", "major": 1, "minor": 8, "access": "rwm"},
    {"allow": True, "type": "c", "major": 1, "minor": 7, "access": "rwm"},
    {"allow": True, "type": "c", "major": 5, "minor": 0, "access": "rwm"},
    {"allow": True, "type": "c", "major": 1, "minor": 5, "access": "rwm"},
    {"allow": True, "type": "c", "major": 1, "minor": 9, "access": "rwm"},
    {"allow": True, "type": "c", "major": 136, "access": "rwm"},
    {"allow": True, "type": "c", "major": 5, "minor": 2, "access": "rwm"},
]


def resources_for_spec(linux):
    """linux.resources with the device rules runc really applies: the spec's rules, then an allow
    rule per linux.devices entry, then runc's default allowed devices (null, zero, full, tty, ...)."""
    resources = dict(linux.get("resources") or {})
    created = [{"allow": True, "type": "c" if d.get("type") == "u" else d.get("type"),
                "major": d.get("major"), "minor": d.get("minor"), "access": "rwm"}
               for d in linux.get("devices") or [] if d.get("type") in ("c", "u", "b")]
    resources["devices"] = list(resources.get("devices") or []) + created + RUNC_DEFAULT_DEVICE_RULES
    return resources
