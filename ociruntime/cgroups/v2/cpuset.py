"""v2 cpuset: cpuset.cpus / cpuset.mems."""

from .. import files, stats
from ..resources import field_name, section


def apply(cgdir, resources):
    cpu = section(resources, "cpu")
    for key in ("cpus", "mems"):
        if cpu.get(key):
            files.write(cgdir, f"cpuset.{key}", cpu[key], field_name("cpu", key))


def collect(cgdir, out):
    out["cpuset"] = stats.cpuset(stats.parse_cpu_list(files.read_optional(cgdir, "cpuset.cpus.effective")),
                                 stats.parse_cpu_list(files.read_optional(cgdir, "cpuset.mems.effective")))
