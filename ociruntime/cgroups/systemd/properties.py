"""OCI linux.resources and org.systemd.property.* annotations as systemd unit properties,
converted as runc's systemd v2 driver converts them (cgroups/systemd/v2.go, common.go,
specconv's initSystemdProps). A property is (Name, (D-Bus signature, value)).

systemd gets the properties it knows; runc writes every resource through its cgroupfs
writers afterwards too, and so do we (manager.py), so the files hold the OCI values even
where systemd rounds (CPUQuotaPerSecUSec is kept in 10 ms steps)."""

from ociruntime.errors import ConfigError

from .. import resources as oci

UINT64_MAX = (1 << 64) - 1
DEFAULT_CPU_PERIOD = 100000
ANNOTATION_PREFIX = "org.systemd.property."


def _u64(value):
    """-1 (OCI's "unlimited") -> systemd's infinity."""
    return UINT64_MAX if value == -1 else value


def range_to_bits(text, field):
    """A cpuset list ("0-2,7") as systemd's AllowedCPUs/AllowedMemoryNodes byte array:
    bit N of the little-endian byte string set for each member N (runc's RangeToBits)."""
    mask = 0
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        low, sep, high = part.partition("-")
        try:
            first, last = int(low), int(high) if sep else int(low)
        except ValueError:
            raise ConfigError(field, f"{text!r} is not a list of numbers and ranges") from None
        if first < 0 or last < first:
            raise ConfigError(field, f"{text!r}: bad range {part!r}")
        for n in range(first, last + 1):
            mask |= 1 << n
    return list(mask.to_bytes(max(1, (mask.bit_length() + 7) // 8), "little"))


def cpu_quota_properties(quota, period):
    """CPUQuotaPeriodUSec and CPUQuotaPerSecUSec from cpu.quota/cpu.period (runc's addCpuQuota:
    the per-second quota rounded up to systemd's 10 ms steps; no quota = infinity)."""
    props = []
    if period:
        props.append(("CPUQuotaPeriodUSec", ("t", period)))
    if quota or period:
        per_sec = UINT64_MAX
        if quota and quota > 0:
            per_sec = quota * 1000000 // (period or DEFAULT_CPU_PERIOD)
            if per_sec % 10000:
                per_sec = (per_sec // 10000 + 1) * 10000
        props.append(("CPUQuotaPerSecUSec", ("t", per_sec)))
    return props


def _unified_properties(unified):
    """linux.resources.unified keys systemd has a property for (runc's unifiedResToSystemdProps)."""
    props = []
    for key, value in (unified or {}).items():
        field = oci.field_name("unified", key)
        value = str(value).strip()
        if key in ("memory.min", "memory.low", "memory.high", "memory.max", "memory.swap.max", "pids.max"):
            name = {"pids.max": "TasksMax", "memory.swap.max": "MemorySwapMax"}.get(key) or \
                "Memory" + key.split(".")[1].capitalize()
            if value == "max":
                props.append((name, ("t", UINT64_MAX)))
            elif value.isdigit():
                props.append((name, ("t", int(value))))
            else:
                raise ConfigError(field, f"{value!r} is neither a number nor \"max\"")
        elif key == "cpu.weight":
            if not value.isdigit():
                raise ConfigError(field, f"{value!r} is not a number")
            props.append(("CPUWeight", ("t", int(value))))
        elif key == "cpu.max":
            quota, _, period = value.partition(" ")
            if not (quota == "max" or quota.isdigit()) or not (period.isdigit() or not period):
                raise ConfigError(field, f"{value!r} is not \"QUOTA|max [PERIOD]\"")
            props += cpu_quota_properties(-1 if quota == "max" else int(quota), int(period or 0))
        elif key in ("cpuset.cpus", "cpuset.mems"):
            name = "AllowedCPUs" if key == "cpuset.cpus" else "AllowedMemoryNodes"
            props.append((name, ("ay", range_to_bits(value, field))))
    return props


def resource_properties(resources):
    """The unit properties for linux.resources (ConfigError naming the field if malformed)."""
    resources = resources or {}
    props = []
    memory = oci.section(resources, "memory")
    limit = oci.get_int(memory, "limit", oci.field_name("memory", "limit"))
    if limit:
        props.append(("MemoryMax", ("t", _u64(limit))))
    reservation = oci.get_int(memory, "reservation", oci.field_name("memory", "reservation"))
    if reservation:
        props.append(("MemoryLow", ("t", _u64(reservation))))
    swap = oci.swap_v2(oci.get_int(memory, "swap", oci.field_name("memory", "swap")), limit)
    if swap:
        props.append(("MemorySwapMax", ("t", _u64(swap))))
    cpu = oci.section(resources, "cpu")
    shares = oci.get_int(cpu, "shares", oci.field_name("cpu", "shares"), minimum=0, maximum=oci.UINT32_MAX * 2)
    if shares:
        props.append(("CPUWeight", ("t", oci.shares_to_weight(shares))))
    quota = oci.get_int(cpu, "quota", oci.field_name("cpu", "quota"))
    period = oci.get_int(cpu, "period", oci.field_name("cpu", "period"), minimum=0)
    props += cpu_quota_properties(quota, period)
    for key, name in (("cpus", "AllowedCPUs"), ("mems", "AllowedMemoryNodes")):
        if cpu.get(key):
            props.append((name, ("ay", range_to_bits(cpu[key], oci.field_name("cpu", key)))))
    pids = oci.section(resources, "pids")
    pids_limit = oci.get_int(pids, "limit", oci.field_name("pids", "limit"))
    if pids_limit and (pids_limit > 0 or pids_limit == -1):
        props.append(("TasksMax", ("t", _u64(pids_limit))))
    blkio = oci.section(resources, "blockIO")
    weight = oci.get_int(blkio, "weight", oci.field_name("blockIO", "weight"), minimum=0, maximum=1000)
    if weight:
        props.append(("IOWeight", ("t", oci.blkio_weight_to_io_weight(weight))))
    device_weights = [(f"/dev/block/{dev}", oci.blkio_weight_to_io_weight(value))
                      for _, dev, value in oci.device_entries(blkio, "weightDevice", "weight") if value]
    if device_weights:
        props.append(("IODeviceWeight", ("a(st)", device_weights)))
    return props + _unified_properties(resources.get("unified"))


def annotation_properties(annotations):
    """org.systemd.property.<Name>=<GVariant text> annotations as properties, as runc: a name
    ending in a lowercase letter + "Sec" takes seconds and becomes <Name minus Sec>USec."""
    props = []
    for key, text in sorted((annotations or {}).items()):
        if not key.startswith(ANNOTATION_PREFIX):
            continue
        name = key[len(ANNOTATION_PREFIX):]
        field = f"annotations.{key}"
        if not (name[:1].isascii() and name[:1].isupper() and name.isascii() and name.isalnum()):
            raise ConfigError(field, f"{name!r} is not a systemd property name (ASCII letters and digits, "
                              "starting with a capital)")
        sig, value = parse_gvariant(text, field)
        if name.endswith("Sec") and name[-4:-3].islower():
            if sig not in ("y", "n", "q", "i", "u", "x", "t", "d"):
                raise ConfigError(field, f"{name} takes a number of seconds, got {text!r}")
            name, sig, value = name[:-3] + "USec", "t", int(round(value * 1000000))
        props.append((name, (sig, value)))
    return props


_GVARIANT_NUMBERS = {"byte": "y", "int16": "n", "uint16": "q", "int32": "i", "uint32": "u",
                     "int64": "x", "uint64": "t", "double": "d"}


def parse_gvariant(text, field):
    """The (signature, value) of a GVariant text value, the subset runc's annotations use:
    true/false, numbers (optionally typed: "uint64 100"), 'strings' or "strings", and
    arrays of strings (['a', 'b'], @as [])."""
    text = text.strip()
    if text in ("true", "false"):
        return "b", text == "true"
    if text[:1] in "'\"" and len(text) >= 2 and text[-1] == text[0]:
        return "s", text[1:-1]
    if text == "@as []":
        return "as", []
    if text.startswith("[") and text.endswith("]"):
        items = [item.strip() for item in text[1:-1].split(",")] if text[1:-1].strip() else []
        if all(len(i) >= 2 and i[0] in "'\"" and i[-1] == i[0] for i in items):
            return "as", [i[1:-1] for i in items]
        raise ConfigError(field, f"{text!r}: only arrays of strings are supported")
    kind, _, number = text.partition(" ")
    sig = _GVARIANT_NUMBERS.get(kind)
    if sig is None:
        sig, number = ("d" if "." in text or "e" in text.lower() else "i"), text
    try:
        value = float(number) if sig == "d" else int(number, 0)
    except ValueError:
        raise ConfigError(field, f"{text!r} is not a GVariant value (a number, true/false, a quoted "
                          "string or an array of strings)") from None
    return sig, value
