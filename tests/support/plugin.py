"""The fixtures every test package shares (a pytest plugin: tests/conftest.py loads it),
and the markers.

- a subreaper for the session: container inits orphaned by a runtime call come back to
  the test process to be reaped (PID 1 here does not);
- `runtime`: the `ociruntime` command with a --root of the test's own, and a check that
  the test left no container behind; `bundle`: a busybox bundle beneath the test's own
  cgroup, whose cgroup parent is removed (and checked) afterwards;
- `container`: a running busybox container; `open_bundle`: the bundle where any uid may
  traverse (user namespaces).
The markers are registered once, in pytest.ini."""
import ctypes
import errno
import os
import shutil
import tempfile
import time

import pytest

from support import (PR_SET_CHILD_SUBREAPER, Bundle, Runtime, cgroup_path, own_cgroup_dirs, own_cgroup_parent,
                     reap_orphans, start_container)


@pytest.fixture(scope="session", autouse=True)
def subreaper():
    """Grandchildren orphaned by killed test processes come back to us to be reaped."""
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


@pytest.fixture
def runtime(tmp_path):
    root = tmp_path / "root"
    rt = Runtime(str(root), str(tmp_path / "log.json"))
    yield rt
    leftover = [n for n in (os.listdir(root) if root.exists() else [])]
    for cid in leftover:
        rt("delete", "--force", cid, check=False)
    reap_orphans()
    assert not leftover, f"containers left behind: {leftover}"


@pytest.fixture
def bundle(tmp_path):
    """A busybox bundle; tests edit bundle.config and call bundle.save()."""
    from make_busybox_bundle import make_bundle
    path = tmp_path / "bundle"
    path.mkdir()
    config = make_bundle(str(path), ["true"])
    config["linux"]["cgroupsPath"] = own_cgroup_parent()
    return Bundle(str(path), config)


@pytest.fixture
def remove_test_cgroup_parents(bundle):
    """The bundle's cgroupsPath is PARENT/ctr: the runtime must remove ctr (the runtime
    fixture has deleted every container by now); PARENT is the test's to remove, as with runc."""
    yield
    leaked = [d for d in own_cgroup_dirs(cgroup_path(bundle)) if os.path.exists(d)]
    for d in leaked + own_cgroup_dirs(cgroup_path(bundle).split("/")[0]):
        _remove_cgroup(d)
    assert not leaked, f"cgroups left behind: {leaked}"


def _remove_cgroup(path, attempts=50):
    """rmdir a test's cgroup; EBUSY while the kernel is still taking its last (exited)
    process out of it, so try again for a while rather than leave it on the machine."""
    for _ in range(attempts):
        try:
            os.rmdir(path)
            return
        except FileNotFoundError:
            return
        except OSError as e:
            if e.errno != errno.EBUSY:
                return
            time.sleep(0.05)


@pytest.fixture
def container(runtime, bundle):
    """A running busybox container whose init sleeps; deleted afterwards."""
    c = start_container(runtime, bundle, "sleep", "1000")
    yield c
    runtime("delete", "--force", c.id, check=False)


@pytest.fixture
def open_bundle(bundle):
    """The bundle, moved where any uid may traverse: a user namespace's root is not
    the host's, and pytest's tmp dirs are 0700."""
    top = tempfile.mkdtemp(prefix="oci-test-", dir="/tmp")
    os.chmod(top, 0o711)
    path = os.path.join(top, "bundle")
    shutil.copytree(bundle.path, path, symlinks=True)
    yield Bundle(path, bundle.config)
    shutil.rmtree(top)
