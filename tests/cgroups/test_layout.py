"""Host mode detection, cgroupsPath resolution and persisted state, checked against this host."""

import json
import os

import pytest

from ociruntime.cgroups import open_manager, open_manager_from_state
from ociruntime.cgroups.hostinfo import HYBRID, UNIFIED, clean_path, read_host_layout, read_own_cgroups

from .conftest import cgroup_dirs, requires_v1, requires_v2


@pytest.mark.cgroupv2
def test_mode_matches_mountinfo():
    with open("/proc/self/mountinfo") as f:
        types = {line.split(" - ")[1].split()[0] for line in f if "cgroup" in line.split(" - ")[1].split()[0]}
    layout = read_host_layout()
    expected = UNIFIED if types == {"cgroup2"} else (HYBRID if "cgroup2" in types else "legacy")
    assert layout.mode == expected


@pytest.mark.parametrize("raw,clean", [("/a/b/../c", "/a/c"), ("../../x", "x"), ("/../../x", "/x"),
                                       ("a//b/./c/", "a/b/c"), ("", "")])
def test_clean_path_cannot_escape(raw, clean):
    assert clean_path(raw) == clean


@requires_v1
def test_v1_relative_path_is_below_own_cgroup_per_hierarchy():
    mgr = open_manager("oci-test-rel", "ignored")
    own = read_own_cgroups()
    mem_own = own["memory"].rstrip("/")
    assert mgr.paths["memory"] == f"/sys/fs/cgroup/memory{mem_own}/oci-test-rel"
    assert mgr.paths["pids"] == "/sys/fs/cgroup/pids" + own["pids"].rstrip("/") + "/oci-test-rel"


@requires_v1
def test_v1_absolute_and_default_paths():
    mgr = open_manager("/docker/abc", "abc")
    assert mgr.paths["memory"] == "/sys/fs/cgroup/memory/docker/abc"
    assert mgr.paths["devices"] == "/sys/fs/cgroup/devices/docker/abc"
    default = open_manager(None, "ctr1")
    assert default.paths["memory"] == open_manager("ctr1", "x").paths["memory"]


@requires_v1
def test_hybrid_host_uses_v1_driver_with_unified_dir_too():
    if read_host_layout().mode != HYBRID:
        pytest.skip("not a hybrid host")
    mgr = open_manager("/docker/abc", "abc")
    assert mgr.version == 1
    assert mgr.paths[""] == read_host_layout().v2.mountpoint + "/docker/abc"


@requires_v2
@pytest.mark.cgroupv2
def test_v2_paths_like_runc():
    mgr = open_manager("/docker/abc", "abc")
    assert mgr.version == 2 and mgr.path == "/sys/fs/cgroup/docker/abc"
    own_parent = os.path.dirname(read_own_cgroups()[""])
    assert open_manager(None, "ctr1").path == os.path.normpath(f"/sys/fs/cgroup/{own_parent}/ctr1")


@pytest.mark.cgroupv2
def test_state_round_trip_reopens_the_same_cgroup(sandbox):
    mgr = sandbox.manager()
    mgr.create({"pids": {"limit": 7}})
    reopened = open_manager_from_state(json.loads(json.dumps(mgr.to_state())))
    assert reopened.to_state() == mgr.to_state()
    assert reopened.stats()["pids"]["limit"] == 7


@pytest.mark.cgroupv2
def test_nested_path_creates_intermediate_cgroups(sandbox):
    nested = sandbox.manager("/inner")
    try:
        nested.create({"memory": {"limit": 64 << 20}, "pids": {"limit": 5}})
        assert nested.stats()["pids"]["limit"] == 5
        assert nested.stats()["memory"]["usage"]["limit"] == 64 << 20
    finally:
        nested.destroy()  # like runc: the leaf only; the intermediate is ours to remove
        for leaf in cgroup_dirs(nested):
            if os.path.isdir(os.path.dirname(leaf)):
                os.rmdir(os.path.dirname(leaf))
