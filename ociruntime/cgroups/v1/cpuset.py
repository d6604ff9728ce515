"""v1 cpuset: cpus/mems (apply, which v2 uses too), and seeding new cgroups from their
parent (an empty cpuset takes no tasks)."""

import os

from .. import files, stats
from ..resources import field_name, section


def seed_from_parent(cgdir, mountpoint):
    """Every level from the hierarchy's root down to cgdir whose cpuset.cpus/mems is empty
    takes its parent's, outermost first, as runc's cpusetEnsureParent: a parent left empty
    (made by us now, or earlier by someone else, as kubelet's pod cgroups) takes no tasks."""
    levels = []
    while cgdir.rstrip("/") != mountpoint.rstrip("/") and cgdir != "/":
        levels.append(cgdir)
        cgdir = os.path.dirname(cgdir)
    for level in reversed(levels):
        parent = os.path.dirname(level)
        for name in ("cpuset.cpus", "cpuset.mems"):
            if not files.read(level, name):
                files.write(level, name, files.read(parent, name), field_name("cpu", name.split(".")[1]))


def apply(cgdir, resources):
    cpu = section(resources, "cpu")
    for key in ("cpus", "mems"):
        if cpu.get(key):
            files.write(cgdir, f"cpuset.{key}", cpu[key], field_name("cpu", key))


def collect(cgdir, out):
    out["cpuset"] = stats.cpuset(stats.parse_cpu_list(files.read_optional(cgdir, "cpuset.cpus")),
                                 stats.parse_cpu_list(files.read_optional(cgdir, "cpuset.mems")))
