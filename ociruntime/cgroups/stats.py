"""The runc `events --stats` "data" object (runc types.Stats), with Go's omitempty rules."""


def _omit_empty(d, keys):
    """Drop the omitempty `keys` whose value is 0 / empty, as encoding/json does."""
    for key in keys:
        if key in d and not d[key]:
            del d[key]
    return d


def empty_stats():
    return {
        "cpu": {"usage": cpu_usage(0, [], 0, 0), "throttling": throttling(0, 0, 0)},
        "cpuset": cpuset([], []),
        "memory": {"usage": memory_entry(0, 0, 0, 0), "swap": memory_entry(0, 0, 0, 0),
                   "kernel": memory_entry(0, 0, 0, 0), "kernelTCP": memory_entry(0, 0, 0, 0)},
        "pids": {},
        "blkio": {},
        "hugetlb": {},
        "intel_rdt": {},
        "network_interfaces": None,
    }


def cpu_usage(total, percpu, kernel, user):
    return _omit_empty({"total": total, "percpu": percpu, "kernel": kernel, "user": user}, ("total", "percpu"))


def throttling(periods, throttled_periods, throttled_time):
    return _omit_empty({"periods": periods, "throttledPeriods": throttled_periods,
                        "throttledTime": throttled_time}, ("periods", "throttledPeriods", "throttledTime"))


def cpuset(cpus, mems):
    return _omit_empty({"cpus": cpus, "cpu_exclusive": 0, "mems": mems, "mem_hardwall": 0, "mem_exclusive": 0,
                        "memory_migrate": 0, "memory_spread_page": 0, "memory_spread_slab": 0,
                        "memory_pressure": 0, "sched_load_balance": 0, "sched_relax_domain_level": 0},
                       ("cpus", "mems"))


def memory_entry(limit, usage, max_usage, failcnt):
    return _omit_empty({"limit": limit, "usage": usage, "max": max_usage, "failcnt": failcnt}, ("usage", "max"))


def pids(current, limit):
    return _omit_empty({"current": current, "limit": limit}, ("current", "limit"))


def blkio_entry(major, minor, op, value):
    return _omit_empty({"major": major, "minor": minor, "op": op, "value": value}, ("major", "minor", "op", "value"))


def hugetlb_entry(usage, max_usage, failcnt):
    return _omit_empty({"usage": usage, "max": max_usage, "failcnt": failcnt}, ("usage", "max"))


def finish_memory(memory, raw, cache):
    """Add memory.raw and memory.cache, both omitempty."""
    if raw:
        memory["raw"] = raw
    if cache:
        memory["cache"] = cache
    return memory


def parse_cpu_list(text):
    """"0-2,5" -> [0, 1, 2, 5]."""
    out = []
    for part in (text or "").split(","):
        if not part:
            continue
        lo, _, hi = part.partition("-")
        out.extend(range(int(lo), int(hi or lo) + 1))
    return out
