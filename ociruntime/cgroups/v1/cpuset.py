"""v1 cpuset: cpus/mems, and seeding new cgroups from their parent (an empty cpuset takes no tasks)."""

import os

from .. import files, stats
from ..resources import field_name, section


def seed_from_parent(created):
    """Copy cpuset.cpus/mems from the parent into each directory we created, outermost first."""
    for cgdir in created:
        parent = os.path.dirname(cgdir)
        for name in ("cpuset.cpus", "cpuset.mems"):
            if not files.read(cgdir, name):
                files.write(cgdir, name, files.read(parent, name), field_name("cpu", name.split(".")[1]))


def apply(cgdir, resources):
    cpu = section(resources, "cpu")
    for key in ("cpus", "mems"):
        if cpu.get(key):
            files.write(cgdir, f"cpuset.{key}", cpu[key], field_name("cpu", key))


def collect(cgdir, out):
    out["cpuset"] = stats.cpuset(stats.parse_cpu_list(files.read_optional(cgdir, "cpuset.cpus")),
                                 stats.parse_cpu_list(files.read_optional(cgdir, "cpuset.mems")))
