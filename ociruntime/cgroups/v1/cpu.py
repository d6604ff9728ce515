"""v1 cpu: shares, CFS quota/period/burst, idle, realtime; throttling stats."""

from ociruntime.errors import CgroupError, RuntimeFailure

from .. import files, stats
from ..resources import field_name, get_int, section


def _set_shares(cgdir, shares):
    field = field_name("cpu", "shares")
    files.write(cgdir, "cpu.shares", shares, field)
    actual = int(files.read(cgdir, "cpu.shares"))
    if actual != shares:
        raise CgroupError(f"{field}: {shares} is out of the kernel's range (it kept {actual})")


def _set_quota_and_period(cgdir, quota, period):
    """Period first; if the kernel refuses it before the quota changes, retry it after (as runc)."""
    period_pending = False
    if period:
        try:
            files.write(cgdir, "cpu.cfs_period_us", period, field_name("cpu", "period"))
        except RuntimeFailure:
            if not quota:
                raise
            period_pending = True
    if quota:
        files.write(cgdir, "cpu.cfs_quota_us", quota, field_name("cpu", "quota"))
    if period_pending:
        files.write(cgdir, "cpu.cfs_period_us", period, field_name("cpu", "period"))


def apply(cgdir, resources):
    cpu = section(resources, "cpu")
    shares = get_int(cpu, "shares", field_name("cpu", "shares"), minimum=0)
    quota = get_int(cpu, "quota", field_name("cpu", "quota"))
    period = get_int(cpu, "period", field_name("cpu", "period"), minimum=0)
    burst = get_int(cpu, "burst", field_name("cpu", "burst"), minimum=0)
    idle = get_int(cpu, "idle", field_name("cpu", "idle"), minimum=0, maximum=1)
    rt_period = get_int(cpu, "realtimePeriod", field_name("cpu", "realtimePeriod"), minimum=0)
    rt_runtime = get_int(cpu, "realtimeRuntime", field_name("cpu", "realtimeRuntime"))
    if shares:
        _set_shares(cgdir, shares)
    _set_quota_and_period(cgdir, quota, period)
    if burst is not None:
        files.write(cgdir, "cpu.cfs_burst_us", burst, field_name("cpu", "burst"))
    if idle is not None:
        files.write(cgdir, "cpu.idle", idle, field_name("cpu", "idle"))
    if rt_period:
        files.write(cgdir, "cpu.rt_period_us", rt_period, field_name("cpu", "realtimePeriod"))
    if rt_runtime:
        files.write(cgdir, "cpu.rt_runtime_us", rt_runtime, field_name("cpu", "realtimeRuntime"))


def collect(cgdir, out):
    st = files.read_keyed(cgdir, "cpu.stat")
    out["cpu"]["throttling"] = stats.throttling(st.get("nr_periods", 0), st.get("nr_throttled", 0),
                                                st.get("throttled_time", 0))
