"""v2 memory: memory.max, memory.low, memory.swap.max (OCI swap is memory+swap, converted as runc).

disableOOMKiller and swappiness have no v2 file and are ignored, as runc does; memory.oom.group
comes through linux.resources.unified."""

from .. import files, stats
from ..resources import field_name, get_int, limit_text, section, swap_v2


def apply(cgdir, resources):
    mem = section(resources, "memory")
    limit = get_int(mem, "limit", field_name("memory", "limit"))
    swap = get_int(mem, "swap", field_name("memory", "swap"))
    reservation = get_int(mem, "reservation", field_name("memory", "reservation"))
    get_int(mem, "swappiness", field_name("memory", "swappiness"), minimum=0, maximum=100)  # checked, unused
    swap_max = swap_v2(swap, limit)
    if swap_max is not None:
        if files.exists(cgdir, "memory.swap.max"):
            files.write(cgdir, "memory.swap.max", limit_text(swap_max), field_name("memory", "swap"))
        elif swap_max not in (-1, 0):
            files.write(cgdir, "memory.swap.max", swap_max, field_name("memory", "swap"))
    if limit:
        files.write(cgdir, "memory.max", limit_text(limit), field_name("memory", "limit"))
    if reservation:
        files.write(cgdir, "memory.low", limit_text(reservation), field_name("memory", "reservation"))


def collect(cgdir, out):
    raw = files.read_keyed(cgdir, "memory.stat")
    usage = files.read_uint(cgdir, "memory.current")
    limit = files.read_uint(cgdir, "memory.max")
    failcnt = files.read_keyed(cgdir, "memory.events").get("max", 0)
    memory = out["memory"]
    memory["usage"] = stats.memory_entry(limit, usage, files.read_uint(cgdir, "memory.peak"), failcnt)
    if files.exists(cgdir, "memory.swap.current"):
        # v1 reports memory+swap; so does runc on v2 for compatibility.
        swap_limit = files.read_uint(cgdir, "memory.swap.max")
        if swap_limit != files.MAX_UINT64 and limit != files.MAX_UINT64:
            swap_limit += limit
        memory["swap"] = stats.memory_entry(swap_limit, files.read_uint(cgdir, "memory.swap.current") + usage, 0, 0)
    stats.finish_memory(memory, raw, raw.get("file", 0))


def oom_kills(cgdir):
    return files.read_keyed(cgdir, "memory.events").get("oom_kill", 0)
