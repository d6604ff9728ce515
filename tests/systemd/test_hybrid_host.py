"""On a host with v1 controllers (this development machine is hybrid) the systemd driver
refuses with one clear line and leaves nothing: systemd's v1 layout is not supported."""
import os
import subprocess

import pytest
from support import leftovers, new_id

pytestmark = pytest.mark.skipif(os.path.exists("/sys/fs/cgroup/cgroup.subtree_control"),
                                reason="a pure cgroup v2 host: tests/systemd/test_runtime_systemd.py")


def test_systemd_cgroup_on_a_hybrid_host_is_refused(runtime, bundle):
    bundle.config["linux"]["cgroupsPath"] = "system.slice:ocitest:x"
    bundle.save()
    proc = subprocess.run(runtime.cmd + ["--root", runtime.root, "--systemd-cgroup", "run", "--bundle", bundle.path,
                                         new_id()], capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert proc.returncode != 0
    assert proc.stderr.strip().splitlines() == [
        "ociruntime: --systemd-cgroup: the systemd cgroup driver needs a pure cgroup v2 host (this one is hybrid); "
        "run without --systemd-cgroup"], proc.stderr
    assert not leftovers(runtime, bundle)
