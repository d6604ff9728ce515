"""v2 cpu: cpu.weight (from shares, as runc), cpu.max, cpu.max.burst, cpu.idle; usage statistics."""

from ociruntime.errors import CgroupError

from .. import files, stats
from ..resources import field_name, get_int, section, shares_to_weight

# The CFS bandwidth period the kernel accepts, in us (1 ms to 1 s). cpu.max takes quota and period in
# one write, so a period outside it is named here rather than as a failed write of the quota.
PERIOD_RANGE = (1000, 1000000)


def apply(cgdir, resources):
    cpu = section(resources, "cpu")
    shares = get_int(cpu, "shares", field_name("cpu", "shares"), minimum=0)
    quota = get_int(cpu, "quota", field_name("cpu", "quota")) or 0
    period = get_int(cpu, "period", field_name("cpu", "period"), minimum=0) or 0
    if period and not PERIOD_RANGE[0] <= period <= PERIOD_RANGE[1]:
        raise CgroupError(f"{field_name('cpu', 'period')}: {period} is out of the kernel's range "
                             f"[{PERIOD_RANGE[0]}, {PERIOD_RANGE[1]}]")
    burst = get_int(cpu, "burst", field_name("cpu", "burst"), minimum=0)
    idle = get_int(cpu, "idle", field_name("cpu", "idle"), minimum=0, maximum=1)
    if cpu.get("realtimeRuntime") or cpu.get("realtimePeriod"):
        field = field_name("cpu", "realtimeRuntime")
        raise CgroupError(f"{field}: realtime scheduling is not supported on cgroup v2")
    if shares:
        files.write(cgdir, "cpu.weight", shares_to_weight(max(shares, 2)), field_name("cpu", "shares"))
    if quota or period:
        value = str(quota) if quota > 0 else "max"
        if period:
            value += f" {period}"
        files.write(cgdir, "cpu.max", value, field_name("cpu", "quota" if quota else "period"))
    if burst is not None:
        files.write(cgdir, "cpu.max.burst", burst, field_name("cpu", "burst"))
    if idle is not None:
        files.write(cgdir, "cpu.idle", idle, field_name("cpu", "idle"))


def collect(cgdir, out):
    st = files.read_keyed(cgdir, "cpu.stat")
    out["cpu"]["usage"] = stats.cpu_usage(st.get("usage_usec", 0) * 1000, [],
                                          st.get("system_usec", 0) * 1000, st.get("user_usec", 0) * 1000)
    out["cpu"]["throttling"] = stats.throttling(st.get("nr_periods", 0), st.get("nr_throttled", 0),
                                                st.get("throttled_usec", 0) * 1000)
