"""Fixtures for the cgroups library tests: real cgroups beneath the test's own, always removed.

Tests marked `cgroupv2` are the ones that also run in the pure-v2 VM (tests/vm/run_v2.sh); tests
that need one cgroup version skip cleanly on the other."""

import os
import shutil
import subprocess
import uuid

import pytest

from support import reap_orphans

from ociruntime.cgroups import open_manager
from ociruntime.cgroups.hostinfo import UNIFIED, read_host_layout

BUSYBOX = shutil.which("busybox") or "/usr/bin/busybox"

HOST_MODE = read_host_layout().mode
requires_v1 = pytest.mark.skipif(HOST_MODE == UNIFIED, reason="needs cgroup v1 controllers")
requires_v2 = pytest.mark.skipif(HOST_MODE != UNIFIED, reason="needs a pure cgroup v2 host (run tests/vm/run_v2.sh)")


def cgroup_dirs(mgr):
    return list(mgr.paths.values()) if mgr.version == 1 else [mgr.path]


def cgfile(mgr, controller, name):
    """Path of a cgroup file of the container: v1 in the controller's hierarchy, v2 in the one dir."""
    base = mgr._dir(controller) if mgr.version == 1 else mgr.path
    return os.path.join(base, name)


def read_cgfile(mgr, controller, name):
    with open(cgfile(mgr, controller, name)) as f:
        return f.read().strip()


def join_cgroup(mgr, pid):
    """Move pid into every hierarchy of mgr's cgroup, where the C stages would join it
    (mgr.placement(): v1 `tasks` files, the cgroup2 dir)."""
    tasks, cgroup2_dir = mgr.placement()
    for path in tasks + ([cgroup2_dir + "/cgroup.procs"] if cgroup2_dir else []):
        with open(path, "w") as f:
            f.write(str(pid))


class CgroupSandbox:
    """Opens managers for uniquely named `oci-test` cgroups and starts processes inside them."""

    def __init__(self):
        self.managers = []
        self.procs = []

    def manager(self, suffix=""):
        name = f"oci-test-{uuid.uuid4().hex[:8]}{suffix}"
        mgr = open_manager(name, name)
        self.managers.append(mgr)
        return mgr

    def spawn(self, mgr, argv, **kwargs):
        """Start argv already inside mgr's cgroup: the child joins before exec, so no race."""
        proc = subprocess.Popen(argv, preexec_fn=lambda: join_cgroup(mgr, os.getpid()), **kwargs)
        self.procs.append(proc)
        return proc

    def close(self):
        for mgr in self.managers:
            if any(os.path.isdir(d) for d in cgroup_dirs(mgr)):
                if mgr.is_frozen():
                    mgr.thaw()
                mgr.kill_all(9)
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
        reap_orphans()
        for mgr in self.managers:
            mgr.destroy()
            left = [d for d in cgroup_dirs(mgr) if os.path.exists(d)]
            assert not left, f"cgroups left behind: {left}"


@pytest.fixture
def sandbox():
    box = CgroupSandbox()
    yield box
    box.close()
