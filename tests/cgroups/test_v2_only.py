"""cgroup v2 specifics: unified key/values, memory.oom.group, cgroup.kill, subtree_control."""

import os

import pytest

from ociruntime.errors import CgroupError

from .conftest import BUSYBOX, read_cgfile, requires_v2

pytestmark = [pytest.mark.cgroupv2, requires_v2]


def test_unified_values_are_written(sandbox):
    mgr = sandbox.manager()
    mgr.create({"unified": {"memory.oom.group": "1", "pids.max": "9"}})
    assert read_cgfile(mgr, "memory", "memory.oom.group") == "1"
    assert read_cgfile(mgr, "pids", "pids.max") == "9"


def test_unknown_unified_key_is_an_error(sandbox):
    mgr = sandbox.manager()
    with pytest.raises(CgroupError, match=r"^linux\.resources\.unified\.nosuch\.file:"):
        mgr.create({"unified": {"nosuch.file": "1"}})
    assert not os.path.exists(mgr.path)


def test_parent_enables_the_controllers(sandbox):
    mgr = sandbox.manager()
    mgr.create({"memory": {"limit": 64 << 20}})
    parent = os.path.dirname(mgr.path)
    with open(os.path.join(parent, "cgroup.subtree_control")) as f:
        assert {"memory", "pids", "cpu"} <= set(f.read().split())
    assert read_cgfile(mgr, "memory", "cgroup.subtree_control") == ""


def test_sigkill_uses_cgroup_kill(sandbox):
    mgr = sandbox.manager()
    mgr.create({})
    proc = sandbox.spawn(mgr, [BUSYBOX, "sleep", "30"])
    mgr.kill_all(9)
    assert proc.wait(timeout=10) == -9


def test_hugepage_limit_read_back(sandbox):
    from ociruntime.cgroups.hostinfo import hugepage_sizes
    if "2MB" not in hugepage_sizes():
        pytest.skip("no 2MB huge pages")
    mgr = sandbox.manager()
    mgr.create({"hugepageLimits": [{"pageSize": "2MB", "limit": 4 << 20}]})
    assert read_cgfile(mgr, "hugetlb", "hugetlb.2MB.max") == str(4 << 20)
    assert mgr.stats()["hugetlb"]["2MB"] == {"failcnt": 0}
