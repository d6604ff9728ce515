"""Bad linux.resources: a one-line error naming the field, and no cgroup left behind."""

import os

import pytest

from ociruntime.errors import CgroupError

from .conftest import cgroup_dirs, requires_v1

BAD = [
    ({"memory": {"limit": -5}}, "linux.resources.memory.limit"),
    ({"memory": {"limit": 1 << 70}}, "linux.resources.memory.limit"),
    ({"memory": {"limit": "64m"}}, "linux.resources.memory.limit"),
    ({"memory": {"limit": 64 << 20, "swap": 32 << 20}}, "linux.resources.memory.swap"),
    ({"memory": {"swappiness": 300}}, "linux.resources.memory.swappiness"),
    ({"pids": {"limit": -7}}, "linux.resources.pids.limit"),
    ({"cpu": {"quota": 5, "period": 100000}}, "linux.resources.cpu.quota"),
    ({"cpu": {"cpus": "0-4096"}}, "linux.resources.cpu.cpus"),
    ({"devices": [{"allow": False, "type": "x", "access": "rwm"}]}, "linux.resources.devices[0].type"),
    ({"devices": [{"allow": True, "type": "c", "access": "q"}]}, "linux.resources.devices[0].access"),
    ({"devices": [{"type": "c", "access": "r"}]}, "linux.resources.devices[0]"),
    ({"blockIO": {"throttleReadBpsDevice": [{"major": 8, "minor": 0}]}},
     "linux.resources.blockIO.throttleReadBpsDevice[0]"),
]


@pytest.mark.cgroupv2
@pytest.mark.parametrize("resources,field", BAD, ids=[f for _, f in BAD])
def test_bad_resource_names_field_and_leaves_nothing(sandbox, resources, field):
    mgr = sandbox.manager()
    with pytest.raises(CgroupError) as info:
        mgr.create(resources)
    message = str(info.value)
    assert message.startswith(field + ":") and "\n" not in message
    assert not any(os.path.exists(d) for d in cgroup_dirs(mgr))


@pytest.mark.cgroupv2
def test_failure_late_in_create_removes_every_directory(sandbox):
    mgr = sandbox.manager()
    with pytest.raises(CgroupError, match=r"^linux\.resources\.pids\.limit"):
        mgr.create({"memory": {"limit": 64 << 20}, "cpu": {"shares": 512}, "pids": {"limit": -9}})
    assert not any(os.path.exists(d) for d in cgroup_dirs(mgr))


@requires_v1
def test_unified_on_v1_is_an_error(sandbox):
    mgr = sandbox.manager()
    with pytest.raises(CgroupError, match=r"^linux\.resources\.unified: needs cgroup v2"):
        mgr.create({"unified": {"memory.oom.group": "1"}})
    assert not any(os.path.exists(d) for d in cgroup_dirs(mgr))


@requires_v1
def test_v1_out_of_range_shares_is_an_error(sandbox):
    mgr = sandbox.manager()
    with pytest.raises(CgroupError, match=r"^linux\.resources\.cpu\.shares"):
        mgr.create({"cpu": {"shares": 10_000_000}})


@pytest.mark.cgroupv2
def test_destroy_is_idempotent(sandbox):
    mgr = sandbox.manager()
    mgr.create({})
    mgr.destroy()
    mgr.destroy()
    assert not any(os.path.exists(d) for d in cgroup_dirs(mgr))


@requires_v1
def test_hugepage_limits_without_hugetlb_hierarchy_is_an_error(sandbox):
    mgr = sandbox.manager()
    if mgr._dir("hugetlb"):
        pytest.skip("this host mounts hugetlb")
    with pytest.raises(CgroupError, match=r"^linux\.resources\.hugepageLimits: the hugetlb controller"):
        mgr.create({"hugepageLimits": [{"pageSize": "2MB", "limit": 4 << 20}]})
    assert not any(os.path.exists(d) for d in cgroup_dirs(mgr))


@requires_v1
@pytest.mark.parametrize("network, controller", [({"classID": 1048577}, "net_cls"),
                                                 ({"priorities": [{"name": "eth0", "priority": 5}]}, "net_prio")])
def test_network_resources_without_their_hierarchy_are_an_error(sandbox, network, controller):
    mgr = sandbox.manager()
    if mgr._dir(controller):
        pytest.skip(f"this host mounts {controller}")
    key = next(iter(network))
    with pytest.raises(CgroupError, match=rf"^linux\.resources\.network\.{key}: the {controller} controller"):
        mgr.create({"network": network})
    assert not any(os.path.exists(d) for d in cgroup_dirs(mgr))


@pytest.mark.cgroupv2
def test_network_resources_on_cgroup_v2_are_an_error(sandbox):
    mgr = sandbox.manager()
    if mgr.version != 2:
        pytest.skip("needs a pure cgroup v2 host (run tests/vm/run_v2.sh)")
    with pytest.raises(CgroupError, match=r"^linux\.resources\.network\.classID: needs the cgroup v1"):
        mgr.create({"network": {"classID": 1048577}})
    assert not any(os.path.exists(d) for d in cgroup_dirs(mgr))
