"""cgroup parents that cgroupsPath names: an empty v1 cpuset parent is filled from its
own parent (runc's cpusetEnsureParent), a frozen one is refused without waiting."""
import os
import subprocess

import pytest
from support import cgroup_mountpoints, new_id, own_cgroup_dirs, start_container

from runtime_cgroups.conftest import V1, cgroup_dirs_for, read_cg


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


def _freezer_dir(dirs):
    """Of a cgroup's directories (one per hierarchy), the one whose freezer holds its tasks."""
    if V1:
        return [d for d in dirs if "/freezer/" in d][0], "freezer.state", "FROZEN", "THAWED"
    return dirs[0], "cgroup.freeze", "1", "0"


@pytest.mark.cgroupv2
@pytest.mark.parametrize("frozen_level", ["parent", "container"])
def test_a_frozen_cgroup_is_refused_without_waiting(runtime, bundle, frozen_level):
    """runc: "container's cgroup unexpectedly frozen". An init joining a frozen cgroup would
    never run: the call must fail (bounded here: a hang fails the test) and leave nothing."""
    bundle.config["linux"]["cgroupsPath"] += "/" + new_id("ctr")
    bundle.set_args("sleep", "100")
    ctr_dirs = cgroup_dirs_for(bundle)
    dirs = ctr_dirs if frozen_level == "container" else [os.path.dirname(d) for d in ctr_dirs]
    for d in dirs:
        os.makedirs(d, exist_ok=True)
    cgdir, name, frozen, thawed = _freezer_dir(dirs)
    with open(os.path.join(cgdir, name), "w") as f:
        f.write(frozen)
    try:
        res = runtime("run", "--detach", "--bundle", bundle.path, new_id(), check=False, timeout=30,
                      stdin=subprocess.DEVNULL)
        assert res.returncode != 0 and res.stderr.count("\n") == 1
        assert "container's cgroup unexpectedly frozen" in res.stderr and cgdir in res.stderr
        assert not os.listdir(runtime.root)
        if frozen_level == "parent":
            assert [d for d in ctr_dirs if os.path.exists(d)] == []     # what it made, removed
    finally:
        # the container's own (pre-made) cgroup is the container's: the failed create may
        # remove it as runc's destroy does; a frozen parent is the test's and stays
        if os.path.exists(cgdir):
            with open(os.path.join(cgdir, name), "w") as f:
                f.write(thawed)
        if frozen_level == "container":
            for d in ctr_dirs:
                if os.path.exists(d):
                    os.rmdir(d)
