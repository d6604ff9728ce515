"""Device rules: a process in the cgroup cannot open a denied device node (v1 files or the v2 eBPF program)."""

import os
import subprocess

import pytest

from .conftest import BUSYBOX

pytestmark = pytest.mark.cgroupv2

DENY_ALL = {"allow": False, "access": "rwm"}
ZERO = {"allow": True, "type": "c", "major": 1, "minor": 5, "access": "rwm"}
MKNOD_ANY_CHAR = {"allow": True, "type": "c", "access": "m"}


def try_open(sandbox, mgr, path, mode="r"):
    """Exit status and stderr of a shell in the cgroup opening `path` for read or write."""
    redirect = f"< {path}" if mode == "r" else f"> {path}"
    proc = sandbox.spawn(mgr, [BUSYBOX, "sh", "-c", f": {redirect}"], stderr=subprocess.PIPE, text=True)
    _, err = proc.communicate(timeout=10)
    return proc.returncode, err


def test_denied_device_cannot_be_opened(sandbox):
    mgr = sandbox.manager()
    mgr.create({"devices": [DENY_ALL, ZERO]})
    status, err = try_open(sandbox, mgr, "/dev/null", "w")
    assert status != 0 and "Operation not permitted" in err
    assert try_open(sandbox, mgr, "/dev/zero")[0] == 0


def test_mknod_allowed_but_open_denied(sandbox, tmp_path):
    mgr = sandbox.manager()
    mgr.create({"devices": [DENY_ALL, MKNOD_ANY_CHAR, ZERO]})
    node = tmp_path / "null"
    made = sandbox.spawn(mgr, [BUSYBOX, "mknod", str(node), "c", "1", "3"])
    assert made.wait(timeout=10) == 0 and os.path.exists(node)
    status, err = try_open(sandbox, mgr, str(node))
    assert status != 0 and "Operation not permitted" in err
    with open(node) as f:  # the test process itself is outside the cgroup
        assert f.read() == ""


def test_later_rules_override_earlier_ones(sandbox):
    mgr = sandbox.manager()
    mgr.create({"devices": [{"allow": False, "type": "c", "major": 1, "minor": 3, "access": "w"},
                            {"allow": True, "type": "c", "major": 1, "minor": 3, "access": "rwm"},
                            {"allow": False, "type": "c", "major": 1, "minor": 5, "access": "r"}]})
    assert try_open(sandbox, mgr, "/dev/null", "w")[0] == 0
    assert try_open(sandbox, mgr, "/dev/zero", "r")[0] != 0
    assert try_open(sandbox, mgr, "/dev/zero", "w")[0] == 0


def test_update_replaces_device_rules(sandbox):
    mgr = sandbox.manager()
    mgr.create({"devices": [DENY_ALL, ZERO]})
    assert try_open(sandbox, mgr, "/dev/null", "w")[0] != 0
    mgr.update({"devices": [DENY_ALL, ZERO, {"allow": True, "type": "c", "major": 1, "minor": 3, "access": "rw"}]})
    assert try_open(sandbox, mgr, "/dev/null", "w")[0] == 0


def test_ebpf_filter_on_the_hybrid_cgroup2_hierarchy(sandbox):
    """The v2 program also works on a hybrid host's controller-less cgroup2 dir: exercise it here."""
    from ociruntime.cgroups.hostinfo import HYBRID, read_host_layout
    from ociruntime.cgroups.v2 import devices_ebpf
    if read_host_layout().mode != HYBRID:
        pytest.skip("needs a hybrid host (v2 hosts run the tests above with the eBPF filter)")
    mgr = sandbox.manager()
    mgr.create({})
    devices_ebpf.apply(mgr.paths[""], {"devices": [DENY_ALL, MKNOD_ANY_CHAR, ZERO]})
    status, err = try_open(sandbox, mgr, "/dev/null", "w")
    assert status != 0 and "Operation not permitted" in err
    assert try_open(sandbox, mgr, "/dev/zero")[0] == 0
    devices_ebpf.apply(mgr.paths[""], {"devices": [DENY_ALL, {"allow": True, "type": "c", "major": 1, "minor": 3}]})
    assert try_open(sandbox, mgr, "/dev/null", "w")[0] == 0
    assert try_open(sandbox, mgr, "/dev/zero")[0] != 0
    fd = os.open(mgr.paths[""], os.O_RDONLY | os.O_DIRECTORY)
    try:
        assert len(devices_ebpf._attached_ids(fd)) == 1  # the old program was replaced
    finally:
        os.close(fd)


@pytest.mark.parametrize("rules", [
    [{"allow": True, "access": "rwm"}],
    [{"allow": False, "type": "b", "access": "m"}],
    [{"allow": False, "access": "rwm"}, {"allow": True, "type": "c", "major": 136, "access": "rw"},
     {"allow": True, "type": "b", "minor": 4294967295, "access": "r"}],
], ids=["allow-all", "deny-block-mknod", "wildcards"])
def test_kernel_verifier_accepts_every_rule_shape(rules):
    from ociruntime.cgroups.resources import device_rules
    from ociruntime.cgroups.v2 import devices_ebpf
    os.close(devices_ebpf._load(devices_ebpf.encode(devices_ebpf.assemble(device_rules({"devices": rules})))))
