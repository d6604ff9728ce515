"""linux.cgroupsPath under --systemd-cgroup: "slice:prefix:name" to a unit, its parent slice
and its cgroup directory, by runc's rules (libcontainer/specconv and cgroups/systemd)."""

from ociruntime.errors import ConfigError

FIELD = "linux.cgroupsPath"
DEFAULT_SLICE = "system.slice"
DEFAULT_PREFIX = "ociruntime"  # an empty cgroupsPath: the scope ociruntime-<id>.scope, as runc's runc-<id>.scope


class UnitName:
    """Where a container goes: `unit` (a scope, or a slice when the name asks for one), the
    `parent` slice it is started in, and `path`, its cgroup relative to the v2 root."""

    def __init__(self, unit, parent, path):
        self.unit = unit
        self.parent = parent
        self.path = path

    @property
    def is_slice(self):
        return self.unit.endswith(".slice")

    def __repr__(self):
        return f"UnitName({self.unit!r}, {self.parent!r}, {self.path!r})"


def expand_slice(slice_name):
    """A slice's cgroup path as systemd lays it out: "a-b.slice" -> "/a.slice/a-b.slice",
    "-.slice" -> "/". ConfigError for what systemd would not take as a slice name."""
    stem = slice_name[:-len(".slice")] if slice_name.endswith(".slice") else ""
    if not stem or "/" in slice_name:
        raise ConfigError(FIELD, f"invalid slice name {slice_name!r} (expected NAME.slice)")
    if stem == "-":
        return "/"
    path, prefix = "", ""
    for component in stem.split("-"):
        if not component:  # "a--b.slice", "-a.slice", "a-.slice"
            raise ConfigError(FIELD, f"invalid slice name {slice_name!r} (empty component between dashes)")
        path += "/" + prefix + component + ".slice"
        prefix += component + "-"
    return path


def _check_unit_chars(text, what, whole):
    """systemd's unit-name alphabet: ASCII letters, digits and ":-_.\\" (":" not inside ours)."""
    bad = sorted({ch for ch in text if not (ch.isascii() and (ch.isalnum() or ch in "-_.\\@"))})
    if bad:
        raise ConfigError(FIELD, f"{what} {text!r} in {whole!r} has characters systemd does not allow "
                          f"in a unit name: {''.join(bad)!r}")


def parse_cgroups_path(cgroups_path, container_id):
    """runc's rules: "slice:prefix:name"; an empty slice is system.slice; a name ending in
    .slice is that slice unit (beneath nothing else: systemd places a slice by its name),
    else the unit is the scope "prefix-name.scope" in the slice. An empty cgroupsPath
    is the scope "ociruntime-<id>.scope" in system.slice."""
    if not cgroups_path:
        prefix, name, parent = DEFAULT_PREFIX, container_id, DEFAULT_SLICE
    else:
        parts = cgroups_path.split(":")
        if len(parts) != 3:
            raise ConfigError(FIELD, f"expected \"slice:prefix:name\" with --systemd-cgroup, got {cgroups_path!r}")
        parent, prefix, name = parts
        parent = parent or DEFAULT_SLICE
        if not name:
            raise ConfigError(FIELD, f"{cgroups_path!r}: the name (after the second ':') is empty")
        for what, text in (("slice", parent), ("prefix", prefix), ("name", name)):
            _check_unit_chars(text, what, cgroups_path)
    parent_path = expand_slice(parent)
    if name.endswith(".slice"):
        return UnitName(name, parent, expand_slice(name))
    unit = f"{prefix}-{name}.scope"
    return UnitName(unit, parent, parent_path.rstrip("/") + "/" + unit)
