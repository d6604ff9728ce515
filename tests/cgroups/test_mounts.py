"""container_mounts: the concrete steps for an OCI "cgroup" mount (as Docker passes it)."""

import os

import pytest

from .conftest import requires_v1, requires_v2

DOCKER_MOUNT = {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
                "options": ["ro", "nosuid", "noexec", "nodev"]}


@requires_v1
def test_v1_without_cgroupns_binds_each_hierarchy(sandbox):
    mgr = sandbox.manager()
    steps = mgr.container_mounts(DOCKER_MOUNT, cgroupns=False)
    assert steps[0] == {"source": "tmpfs", "destination": "/sys/fs/cgroup", "type": "tmpfs",
                        "options": ["nosuid", "noexec", "nodev", "mode=755"]}
    binds = {s["destination"]: s for s in steps if s["type"] == "bind" and "remount" not in s["options"]}
    assert binds["/sys/fs/cgroup/memory"]["source"] == mgr.paths["memory"]
    assert binds["/sys/fs/cgroup/memory"]["options"] == ["rbind", "ro", "nosuid", "noexec", "nodev"]
    assert set(binds) == {"/sys/fs/cgroup/" + os.path.basename(m) for k, m in mgr.mountpoints.items() if k}
    assert steps[-1]["options"][:3] == ["remount", "bind", "ro"]


@requires_v1
def test_v1_with_cgroupns_mounts_cgroup_fs_per_controller(sandbox):
    mgr = sandbox.manager()
    steps = mgr.container_mounts(DOCKER_MOUNT, cgroupns=True)
    fs = {s["destination"]: s for s in steps if s["type"] == "cgroup"}
    assert fs["/sys/fs/cgroup/memory"]["options"] == ["ro", "nosuid", "noexec", "nodev", "memory"]
    assert fs["/sys/fs/cgroup/systemd"]["options"][-1] == "name=systemd"


def test_v1_comounted_controllers_get_symlinks():
    from ociruntime.cgroups.v1.mounts import container_mounts
    steps = container_mounts({"cpu,cpuacct": "/c/cpu,cpuacct/x"}, {"cpu,cpuacct": "/sys/fs/cgroup/cpu,cpuacct"},
                             DOCKER_MOUNT, cgroupns=False)
    links = [(s["destination"], s["source"]) for s in steps if s["type"] == "symlink"]
    assert links == [("/sys/fs/cgroup/cpu", "cpu,cpuacct"), ("/sys/fs/cgroup/cpuacct", "cpu,cpuacct")]


@requires_v2
@pytest.mark.cgroupv2
def test_v2_cgroupns_mounts_cgroup2_else_binds(sandbox):
    mgr = sandbox.manager()
    assert mgr.container_mounts(DOCKER_MOUNT, cgroupns=True) == [
        {"source": "cgroup2", "destination": "/sys/fs/cgroup", "type": "cgroup2",
         "options": ["ro", "nosuid", "noexec", "nodev"]}]
    assert mgr.container_mounts(DOCKER_MOUNT, cgroupns=False) == [
        {"source": mgr.path, "destination": "/sys/fs/cgroup", "type": "bind",
         "options": ["rbind", "ro", "nosuid", "noexec", "nodev"]}]
