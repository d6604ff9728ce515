"""v2 cpuset: cpuset.cpus / cpuset.mems, written as in v1 (v1/cpuset.py's apply); the
statistics come from the .effective files, which v1 lacks."""

from .. import files, stats
from ..v1.cpuset import apply

__all__ = ["apply", "collect"]


def collect(cgdir, out):
    out["cpuset"] = stats.cpuset(stats.parse_cpu_list(files.read_optional(cgdir, "cpuset.cpus.effective")),
                                 stats.parse_cpu_list(files.read_optional(cgdir, "cpuset.mems.effective")))
