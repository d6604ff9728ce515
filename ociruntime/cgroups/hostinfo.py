"""What the host's cgroup layout is: read once per call from /proc/self/mountinfo and /proc/self/cgroup."""

import os

from ociruntime.errors import CgroupError

UNIFIED = "unified"
HYBRID = "hybrid"
LEGACY = "legacy"
HUGEPAGES_DIR = "/sys/kernel/mm/hugepages"


class Hierarchy:
    """One mounted cgroup hierarchy: v1 (controllers like ("cpu", "cpuacct")) or the v2 one (controllers ())."""

    def __init__(self, mountpoint, root, controllers):
        self.mountpoint = mountpoint
        self.root = root
        self.controllers = controllers

    @property
    def key(self):
        """The name /proc/self/cgroup uses for this hierarchy ("cpu,cpuacct", "name=systemd", "" for v2)."""
        return ",".join(self.controllers)

    def host_dir(self, cgroup_path):
        """Where `cgroup_path` (as /proc/PID/cgroup writes it) lives on the host."""
        rel = cgroup_path
        if self.root != "/" and (rel == self.root or rel.startswith(self.root + "/")):
            rel = rel[len(self.root):]
        return self.mountpoint + "/" + rel.strip("/") if rel.strip("/") else self.mountpoint


class HostLayout:
    """The cgroup mode and hierarchies of this host."""

    def __init__(self, v1, v2):
        self.v1 = v1          # list of Hierarchy with controllers
        self.v2 = v2          # the cgroup2 Hierarchy or None

    @property
    def mode(self):
        if self.v1:
            return HYBRID if self.v2 else LEGACY
        if self.v2:
            return UNIFIED
        raise CgroupError("cgroups: no cgroup filesystem is mounted")


_MOUNT_FLAGS = {"rw", "ro", "xattr", "clone_children", "noprefix", "cpuset_v2_mode", "favordynmods"}


def _is_controller_option(option):
    """True for "memory", "name=systemd"; False for mount flags and "release_agent=..."."""
    if option.startswith("name="):
        return True
    return "=" not in option and option not in _MOUNT_FLAGS


def _unescape(field):
    """mountinfo escapes space, tab, newline and backslash as octal."""
    if "\\" not in field:
        return field
    return field.encode().decode("unicode_escape")


def read_host_layout(mountinfo="/proc/self/mountinfo"):
    """Parse mountinfo into a HostLayout; the first mount of each hierarchy wins."""
    v1, v2, seen = [], None, set()
    with open(mountinfo) as f:
        for line in f:
            head, _, tail = line.partition(" - ")
            fields, tail_fields = head.split(), tail.split()
            fstype = tail_fields[0]
            if fstype == "cgroup2" and v2 is None:
                v2 = Hierarchy(_unescape(fields[4]), fields[3], ())
            elif fstype == "cgroup":
                opts = tail_fields[2].split(",")
                ctrls = tuple(o for o in opts if _is_controller_option(o))
                if ctrls and ctrls not in seen:
                    seen.add(ctrls)
                    v1.append(Hierarchy(_unescape(fields[4]), fields[3], ctrls))
    return HostLayout(v1, v2)


def read_own_cgroups(path="/proc/self/cgroup"):
    """Map hierarchy key ("memory", "cpu,cpuacct", "name=systemd", "" for v2) -> this process's cgroup path."""
    own = {}
    with open(path) as f:
        for line in f:
            _, key, cgpath = line.rstrip("\n").split(":", 2)
            own[key] = cgpath
    return own


def clean_path(path):
    """Normalise a cgroupsPath like runc's CleanPath: no "..", no escaping the root, keeps absoluteness."""
    if not path:
        return ""
    absolute = path.startswith("/")
    parts = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts:
                parts.pop()
            continue
        parts.append(part)
    joined = "/".join(parts)
    return "/" + joined if absolute else joined


def hugepage_sizes():
    """["2MB", "1GB"] as the kernel names them in hugetlb.* files."""
    sizes = []
    for entry in sorted(os.listdir(HUGEPAGES_DIR)) if os.path.isdir(HUGEPAGES_DIR) else []:
        kb = int(entry.split("-")[1].rstrip("kB"))
        for unit, scale in (("GB", 1 << 20), ("MB", 1 << 10), ("KB", 1)):
            if kb % scale == 0:
                sizes.append(f"{kb // scale}{unit}")
                break
    return sizes
