"""v1 hugetlb: hugetlb.<size>.limit_in_bytes; usage statistics per page size."""

from .. import files, stats
from ..hostinfo import hugepage_sizes
from ..resources import hugepage_limits


def apply(cgdir, resources):
    for field, size, limit in hugepage_limits(resources):
        files.write(cgdir, f"hugetlb.{size}.limit_in_bytes", limit, field)


def collect(cgdir, out):
    for size in hugepage_sizes():
        prefix = f"hugetlb.{size}."
        out["hugetlb"][size] = stats.hugetlb_entry(files.read_uint(cgdir, prefix + "usage_in_bytes"),
                                                   files.read_uint(cgdir, prefix + "max_usage_in_bytes"),
                                                   files.read_uint(cgdir, prefix + "failcnt"))
