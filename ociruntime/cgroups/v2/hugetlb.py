"""v2 hugetlb: hugetlb.<size>.max; usage statistics per page size."""

from .. import files, stats
from ..hostinfo import hugepage_sizes
from ..resources import hugepage_limits


def apply(cgdir, resources):
    for field, size, limit in hugepage_limits(resources):
        files.write(cgdir, f"hugetlb.{size}.max", limit, field)


def collect(cgdir, out):
    for size in hugepage_sizes():
        prefix = f"hugetlb.{size}."
        if files.exists(cgdir, prefix + "current"):
            failcnt = files.read_keyed(cgdir, prefix + "events").get("max", 0)
            out["hugetlb"][size] = stats.hugetlb_entry(files.read_uint(cgdir, prefix + "current"), 0, failcnt)
