"""cgroup parents that cgroupsPath names: an empty v1 cpuset parent is filled from its
own parent (runc's cpusetEnsureParent), a frozen one is refused without waiting."""
import os

import pytest
from support import cgroup_mountpoints, new_id, own_cgroup_dirs, start_container

from runtime_cgroups.conftest import V1, read_cg


def _cpuset_dir(relative):
    return [d for d in own_cgroup_dirs(relative) if "/cpuset/" in d or d.endswith("/cpuset")][0]


@pytest.mark.skipif(not V1 or "cpuset" not in cgroup_mountpoints(), reason="a v1 cpuset hierarchy")
def test_an_empty_cpuset_parent_made_beforehand_is_filled(runtime, bundle):
    """kubelet makes a pod's cgroup before its containers: in v1 cpuset it is empty until
    filled, and an empty cpuset takes no tasks (ENOSPC on join)."""
    top = bundle.config["linux"]["cgroupsPath"]
    pod = f"{top}/pod"
    bundle.config["linux"]["cgroupsPath"] = f"{pod}/{new_id('ctr')}"
    os.makedirs(_cpuset_dir(pod))                       # made by someone else, left empty
    try:
        assert (read_cpuset(pod, "cpus"), read_cpuset(pod, "mems")) == ("", "")
        c = start_container(runtime, bundle, "sleep", "100")
        try:
            assert read_cg(c.pid, "cpuset", "cpuset.cpus") == read_cpuset(top, "cpus") != ""
            assert (read_cpuset(pod, "cpus"), read_cpuset(pod, "mems")) == (read_cpuset(top, "cpus"),
                                                                            read_cpuset(top, "mems"))
        finally:
            runtime("delete", "--force", c.id)
    finally:
        for d in own_cgroup_dirs(pod):
            if os.path.isdir(d):
                os.rmdir(d)


def read_cpuset(relative, what):
    with open(os.path.join(_cpuset_dir(relative), f"cpuset.{what}")) as f:
        return f.read().strip()
