"""v1 memory: limit, reservation, memory+swap, OOM killer switch, swappiness (kernel/kernelTCP ignored like runc)."""

from ociruntime.errors import CgroupError

from .. import files, stats
from ..resources import field_name, get_int, section

LIMIT = "memory.limit_in_bytes"
SWAP = "memory.memsw.limit_in_bytes"


def _set_limit_and_swap(cgdir, limit, swap):
    """Write limit and memory+swap in the order the kernel accepts (memsw >= limit at every step)."""
    if limit == -1 and not swap:
        swap = -1
    swap_field = field_name("memory", "swap")
    if swap and not files.exists(cgdir, SWAP):
        raise CgroupError(f"{swap_field}: swap accounting is not enabled on this host")
    writes = [(LIMIT, limit, field_name("memory", "limit")), (SWAP, swap, swap_field)]
    if limit and swap and (swap == -1 or files.read_uint(cgdir, LIMIT) < swap):
        writes.reverse()
    for name, value, field in writes:
        if value:
            files.write(cgdir, name, value, field)


def apply(cgdir, resources):
    mem = section(resources, "memory")
    limit = get_int(mem, "limit", field_name("memory", "limit"))
    swap = get_int(mem, "swap", field_name("memory", "swap"))
    reservation = get_int(mem, "reservation", field_name("memory", "reservation"))
    swappiness = get_int(mem, "swappiness", field_name("memory", "swappiness"), minimum=0, maximum=100)
    if limit or swap:
        _set_limit_and_swap(cgdir, limit or 0, swap or 0)
    if reservation:
        files.write(cgdir, "memory.soft_limit_in_bytes", reservation, field_name("memory", "reservation"))
    if mem.get("disableOOMKiller"):
        files.write(cgdir, "memory.oom_control", 1, field_name("memory", "disableOOMKiller"))
    if swappiness is not None:
        files.write(cgdir, "memory.swappiness", swappiness, field_name("memory", "swappiness"))


def _entry(cgdir, prefix):
    return stats.memory_entry(files.read_uint(cgdir, prefix + "limit_in_bytes"),
                              files.read_uint(cgdir, prefix + "usage_in_bytes"),
                              files.read_uint(cgdir, prefix + "max_usage_in_bytes"),
                              files.read_uint(cgdir, prefix + "failcnt"))


def collect(cgdir, out):
    raw = files.read_keyed(cgdir, "memory.stat")
    memory = {"usage": _entry(cgdir, "memory."), "swap": _entry(cgdir, "memory.memsw."),
              "kernel": _entry(cgdir, "memory.kmem."), "kernelTCP": _entry(cgdir, "memory.kmem.tcp.")}
    out["memory"] = stats.finish_memory(memory, raw, raw.get("cache", 0))


def oom_kills(cgdir):
    return files.read_keyed(cgdir, "memory.oom_control").get("oom_kill", 0)
