"""v1 cpuacct: CPU usage statistics (total, per CPU, user/kernel)."""

import os

from .. import files, stats

_NS_PER_TICK = 1_000_000_000 // os.sysconf("SC_CLK_TCK")


def collect(cgdir, out):
    ticks = files.read_keyed(cgdir, "cpuacct.stat")
    percpu = [int(v) for v in (files.read_optional(cgdir, "cpuacct.usage_percpu") or "").split()]
    usage = stats.cpu_usage(files.read_uint(cgdir, "cpuacct.usage"), percpu,
                            ticks.get("system", 0) * _NS_PER_TICK, ticks.get("user", 0) * _NS_PER_TICK)
    out["cpu"]["usage"] = usage
