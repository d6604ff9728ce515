"""v1 pids: pids.max and pids.current (the same in v2: v2/pids.py is this module)."""

from .. import files, stats
from ..resources import field_name, get_int, section


def apply(cgdir, resources):
    limit = get_int(section(resources, "pids"), "limit", field_name("pids", "limit"))
    if limit:
        files.write(cgdir, "pids.max", limit if limit > 0 else "max", field_name("pids", "limit"))


def collect(cgdir, out):
    limit = files.read_uint(cgdir, "pids.max")
    out["pids"] = stats.pids(files.read_uint(cgdir, "pids.current"), 0 if limit == files.MAX_UINT64 else limit)
