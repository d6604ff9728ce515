"""The systemd cgroup driver on a systemd + pure cgroup v2 host (tests/vm/run_systemd.sh boots
one: ../shared/vmrun --systemd): containers created with --systemd-cgroup, observed through
systemd (`systemctl show`), the cgroup files and /proc/PID/cgroup. Later calls go without
the flag: the state says which driver made the container."""
import os
import subprocess
import uuid

import pytest
from support import detached, new_id, start_container, wait_for

CGROUP2 = "/sys/fs/cgroup"
pytestmark = [
    pytest.mark.systemd,
    pytest.mark.skipif(not (os.path.isdir("/run/systemd/system") and os.path.exists(f"{CGROUP2}/cgroup.subtree_control")),
                       reason="needs systemd as PID 1 on a pure cgroup v2 host (tests/vm/run_systemd.sh)"),
]


def show(unit, *props):
    """systemctl show's NAME=VALUE lines for `props` of `unit` as a dict."""
    out = subprocess.run(["systemctl", "show", unit, *(f"--property={p}" for p in props)],
                         capture_output=True, text=True, check=True).stdout
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


def unit_gone(unit):
    """systemd no longer has the (transient) unit. A slice name always loads (slices need no
    unit file): gone is then an inactive slice that is not ours (Transient=no)."""
    props = show(unit, "LoadState", "ActiveState", "Transient")
    return props["LoadState"] == "not-found" or (props["ActiveState"] == "inactive" and props["Transient"] == "no")


def read(path):
    with open(path) as f:
        return f.read().strip()


def own_cgroup(pid):
    return read(f"/proc/{pid}/cgroup")


@pytest.fixture
def sd(runtime, bundle):
    """(runtime, bundle, unit, cgroup dir) for a container in system.slice:ocitest:<random>; every
    container is deleted by the runtime fixture; the unit must be gone afterwards."""
    name = uuid.uuid4().hex[:10]
    bundle.config["linux"]["cgroupsPath"] = f"system.slice:ocitest:{name}"
    bundle.save()
    unit = f"ocitest-{name}.scope"
    yield runtime, bundle, unit, f"{CGROUP2}/system.slice/{unit}"
    for cid in os.listdir(runtime.root) if os.path.isdir(runtime.root) else []:
        runtime("delete", "--force", cid, check=False)
    leaked = not unit_gone(unit)
    if leaked:
        subprocess.run(["systemctl", "stop", unit], check=False)
    assert not leaked, f"{unit} left behind"


def systemd_run(runtime, bundle, *args):
    """`--systemd-cgroup run -d` the bundle running ARGS: (id, init pid)."""
    runtime.cmd = runtime.cmd + ["--systemd-cgroup"]
    try:
        c = start_container(runtime, bundle, *args)
    finally:
        runtime.cmd = runtime.cmd[:-1]
    return c.id, c.pid


def test_scope_has_the_resources_and_the_init(sd):
    runtime, bundle, unit, cgdir = sd
    bundle.config["linux"]["resources"] = {"memory": {"limit": 64 << 20}, "pids": {"limit": 42},
                                           "cpu": {"shares": 512, "quota": 50000, "period": 100000}}
    cid, pid = systemd_run(runtime, bundle, "sleep", "1000")
    props = show(unit, "Delegate", "MemoryMax", "TasksMax", "CPUWeight", "CPUQuotaPerSecUSec", "CPUQuotaPeriodUSec",
                 "ActiveState", "ControlGroup", "Slice", "Description")
    assert props["ActiveState"] == "active"
    assert props["Delegate"] == "yes"
    assert props["MemoryMax"] == str(64 << 20)
    assert props["TasksMax"] == "42"
    assert props["CPUWeight"] == "20"  # shares 512, converted as runc
    assert props["CPUQuotaPerSecUSec"] == "500ms"
    assert props["CPUQuotaPeriodUSec"] == "100ms"
    assert props["Slice"] == "system.slice"
    assert props["ControlGroup"] == f"/system.slice/{unit}"
    assert read(f"{cgdir}/memory.max") == str(64 << 20)
    assert read(f"{cgdir}/pids.max") == "42"
    assert read(f"{cgdir}/cpu.weight") == "20"
    assert read(f"{cgdir}/cpu.max") == "50000 100000"
    assert own_cgroup(pid) == f"0::/system.slice/{unit}"
    assert read(f"{cgdir}/cgroup.procs").split() == [str(pid)]  # stage 1 has gone, only the init is left
    state = runtime.state(cid)
    assert state["status"] == "running"
    runtime("delete", "--force", cid)
    assert unit_gone(unit)
    assert not os.path.exists(cgdir)


def test_later_calls_without_the_flag(sd):
    runtime, bundle, unit, cgdir = sd
    bundle.config["linux"]["resources"] = {"memory": {"limit": 64 << 20}}
    bundle.config["linux"]["namespaces"].append({"type": "cgroup"})  # not in the default spec (as runc's)
    cid, pid = systemd_run(runtime, bundle, "sleep", "1000")
    runtime("update", "--memory", str(128 << 20), "--pids-limit", "77", cid)
    assert show(unit, "MemoryMax")["MemoryMax"] == str(128 << 20) == read(f"{cgdir}/memory.max")
    assert show(unit, "TasksMax")["TasksMax"] == "77" == read(f"{cgdir}/pids.max")
    runtime("pause", cid)
    assert read(f"{cgdir}/cgroup.freeze") == "1" and runtime.state(cid)["status"] == "paused"
    runtime("resume", cid)
    assert read(f"{cgdir}/cgroup.freeze") == "0" and runtime.state(cid)["status"] == "running"
    out = runtime("exec", cid, "cat", "/proc/self/cgroup", stdin=subprocess.DEVNULL).stdout
    assert out.strip() == "0::/"  # the container's own cgroup namespace, rooted at the scope
    assert int(runtime("ps", "--format", "json", cid).stdout.strip("[]\n").split(",")[0]) == pid
    stats = runtime("events", "--stats", cid).stdout
    assert '"memory"' in stats and '"pids"' in stats
    runtime("kill", "--all", cid, "KILL")  # cgroup.kill in the scope
    wait_for(lambda: runtime.state(cid)["status"] == "stopped", what="the container to stop")
    runtime("delete", cid)
    assert unit_gone(unit)
    assert not os.path.exists(cgdir)


def test_nested_slice_as_parent_is_made_by_systemd(runtime, bundle):
    top = f"ocitest{uuid.uuid4().hex[:6]}"
    slice_ = f"{top}-inner.slice"
    bundle.config["linux"]["cgroupsPath"] = f"{slice_}:oci:c1"
    cid, pid = systemd_run(runtime, bundle, "sleep", "1000")
    try:
        path = f"/{top}.slice/{slice_}/oci-c1.scope"
        assert own_cgroup(pid) == f"0::{path}"
        assert show("oci-c1.scope", "Slice")["Slice"] == slice_
        assert show(slice_, "ActiveState")["ActiveState"] == "active"
        runtime("delete", "--force", cid)
        assert unit_gone("oci-c1.scope") and not os.path.exists(CGROUP2 + path)
    finally:
        subprocess.run(["systemctl", "stop", slice_, f"{top}.slice"], check=False)


def test_a_slice_as_the_container(runtime, bundle):
    slice_ = f"ocitest{uuid.uuid4().hex[:6]}.slice"
    bundle.config["linux"]["cgroupsPath"] = f"system.slice:oci:{slice_}"
    bundle.config["linux"]["resources"] = {"memory": {"limit": 32 << 20}}
    cid, pid = systemd_run(runtime, bundle, "sleep", "1000")
    try:
        assert own_cgroup(pid) == f"0::/{slice_}"
        assert show(slice_, "MemoryMax")["MemoryMax"] == str(32 << 20)
        runtime("delete", "--force", cid)
        assert unit_gone(slice_) and not os.path.exists(f"{CGROUP2}/{slice_}")
    finally:
        subprocess.run(["systemctl", "stop", slice_], check=False)


def refused(runtime, bundle, env=None):
    """`--systemd-cgroup create` that must fail: its stderr; nothing may be left."""
    cid = new_id("bad")
    proc = subprocess.run(runtime.cmd + ["--root", runtime.root, "--systemd-cgroup", "create", "--bundle", bundle.path,
                                         cid], capture_output=True, text=True, timeout=120, env=env,
                          stdin=subprocess.DEVNULL)
    assert proc.returncode != 0
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert not (os.path.isdir(runtime.root) and os.listdir(runtime.root))
    return proc.stderr


@pytest.mark.parametrize("path", ["/sys/fs/cgroup/plain", "a:b", "system:docker:x", "system.slice:p:a/b"])
def test_bad_cgroups_path(runtime, bundle, path):
    bundle.config["linux"]["cgroupsPath"] = path
    bundle.save()
    assert "linux.cgroupsPath" in refused(runtime, bundle)


def test_no_bus_is_a_clear_error(sd):
    runtime, bundle, unit, cgdir = sd
    err = refused(runtime, bundle, env={**os.environ, "DBUS_SYSTEM_BUS_ADDRESS": "unix:path=/run/no-such-bus"})
    assert "cannot reach the system bus at /run/no-such-bus" in err
    assert unit_gone(unit) and not os.path.exists(cgdir)


def test_unit_of_that_name_already_there(sd):
    runtime, bundle, unit, cgdir = sd
    cid, pid = systemd_run(runtime, bundle, "sleep", "1000")
    proc_rc, _, err = detached(runtime, "--systemd-cgroup", "create", "--bundle", bundle.path, new_id("dup"))
    assert proc_rc != 0 and f"systemd unit {unit} already exists" in err and "linux.cgroupsPath" in err
    assert os.listdir(runtime.root) == [cid]
    assert own_cgroup(pid) == f"0::/system.slice/{unit}" and show(unit, "ActiveState")["ActiveState"] == "active"
    runtime("delete", "--force", cid)


def test_killed_init_leaves_no_unit(sd):
    runtime, bundle, unit, cgdir = sd
    cid, pid = systemd_run(runtime, bundle, "sleep", "1000")
    os.kill(pid, 9)
    runtime("delete", cid)
    assert unit_gone(unit) and not os.path.exists(cgdir)
