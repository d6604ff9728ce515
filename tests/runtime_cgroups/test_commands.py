"""pause, resume, update, ps, events --stats, kill --all and delete on real containers, checked
against what the kernel shows: freezer state, cgroup files, /proc."""
import json
import os
import time

import pytest
from support import SAMPLES, proc_state, reap_orphans

from .conftest import BUSY_COUNTER, V1, cgroup_dir, kernel_cgroup_dirs, read_cg, wait_for

SAMPLE_UPDATE = os.path.join(SAMPLES, "update-resources.json")


def frozen_in_kernel(pid):
    if V1:
        return read_cg(pid, "freezer", "freezer.state") == "FROZEN"
    return "frozen 1" in read_cg(pid, "freezer", "cgroup.events").splitlines()


def listed_status(runtime, cid):
    return {s["id"]: s["status"] for s in json.loads(runtime("list", "--format", "json").stdout)}[cid]


@pytest.mark.cgroupv2
def test_pause_freezes_and_resume_thaws(runtime, containers):
    cid, pid = containers.create("sh", "-c", BUSY_COUNTER)
    wait_for(lambda: containers.counter(cid) > 0, what="the counter to start")
    runtime("pause", cid)
    assert frozen_in_kernel(pid)
    assert runtime.state(cid)["status"] == "paused" and listed_status(runtime, cid) == "paused"
    stopped_at = containers.counter(cid)
    time.sleep(0.3)
    assert containers.counter(cid) == stopped_at
    runtime("resume", cid)
    assert not frozen_in_kernel(pid)
    assert runtime.state(cid)["status"] == "running" and listed_status(runtime, cid) == "running"
    wait_for(lambda: containers.counter(cid) > stopped_at, what="the counter to move again")
    runtime("delete", "--force", cid)


@pytest.mark.cgroupv2
def test_delete_force_of_a_paused_container(runtime, bundle, containers):
    cid, pid = containers.create("sh", "-c", "sleep 100 & exec sleep 100")
    runtime("pause", cid)
    dirs = kernel_cgroup_dirs(pid)
    runtime("delete", "--force", cid)
    reap_orphans()
    assert proc_state(pid) is None
    assert not os.listdir(runtime.root)
    assert [d for d in dirs.values() if os.path.exists(d)] == []


def test_delete_removes_the_cgroup_in_every_hierarchy(runtime, containers):
    cid, pid = containers.create("sleep", "100")
    dirs = kernel_cgroup_dirs(pid)
    assert {"memory", "pids", "freezer", "devices", ""} <= set(dirs)          # each v1 hierarchy + cgroup2
    assert all(d.endswith(os.path.basename(dirs["memory"])) and os.path.isdir(d) for d in dirs.values())
    runtime("kill", cid, "KILL")
    wait_for(lambda: runtime.state(cid)["status"] == "stopped")
    assert all(os.path.isdir(d) for d in dirs.values())         # kept until delete, as runc
    runtime("delete", cid)
    assert [d for d in dirs.values() if os.path.exists(d)] == []


def limits(pid):
    """(memory, memory+swap or swap, cpu quota/period, pids) as the kernel has them."""
    if V1:
        return (read_cg(pid, "memory", "memory.limit_in_bytes"), read_cg(pid, "memory", "memory.memsw.limit_in_bytes"),
                read_cg(pid, "cpu", "cpu.cfs_quota_us") + " " + read_cg(pid, "cpu", "cpu.cfs_period_us"),
                read_cg(pid, "pids", "pids.max"))
    return (read_cg(pid, "memory", "memory.max"), read_cg(pid, "memory", "memory.swap.max"),
            read_cg(pid, "cpu", "cpu.max"), read_cg(pid, "pids", "pids.max"))


@pytest.mark.cgroupv2
def test_update_with_flags_changes_a_live_containers_limits(runtime, containers):
    cid, pid = containers.create("sleep", "100")
    runtime("update", "--memory", "64m", "--memory-swap", "128m", "--cpu-quota", "20000", "--cpu-period", "100000",
            "--pids-limit", "30", "--cpu-share", "256", cid)
    swap = str(128 << 20) if V1 else str(64 << 20)             # v2's swap.max is swap only
    assert limits(pid) == (str(64 << 20), swap, "20000 100000", "30")
    assert read_cg(pid, "cpu", "cpu.shares" if V1 else "cpu.weight") == ("256" if V1 else "10")
    runtime("update", "--pids-limit", "40", cid)                  # one flag leaves the rest alone
    assert limits(pid) == (str(64 << 20), swap, "20000 100000", "40")
    runtime("delete", "--force", cid)


@pytest.mark.cgroupv2
def test_update_resources_from_stdin_with_dockers_json(runtime, containers):
    with open(SAMPLE_UPDATE) as f:
        docker_json = f.read()
    cid, pid = containers.create("sleep", "100")
    runtime("pause", cid)
    runtime("update", "--resources", "-", cid, input=docker_json)      # Docker updates paused ones too
    sample = json.loads(docker_json)
    mem, swap = sample["memory"]["limit"], sample["memory"]["swap"]
    assert limits(pid) == (str(mem), str(swap if V1 else swap - mem), "50000 100000", "50")
    assert runtime.state(cid)["status"] == "paused"
    runtime("delete", "--force", cid)


@pytest.mark.cgroupv2
def test_ps_lists_the_init_and_an_exec_ed_process(runtime, containers):
    cid, pid = containers.create("sleep", "100")
    exec_pid = containers.exec_detached(cid, "sleep", "99")
    assert json.loads(runtime("ps", "--format", "json", cid).stdout) == sorted([pid, exec_pid])
    table = runtime("ps", cid).stdout.splitlines()
    column = table[0].split().index("PID")
    assert sorted(int(row.split()[column]) for row in table[1:]) == sorted([pid, exec_pid])
    assert all("sleep" in row for row in table[1:])
    custom = runtime("ps", cid, "-o", "pid,comm").stdout.split()     # ps options after the id go to ps
    assert custom[:2] == ["PID", "COMMAND"] and sorted(map(int, custom[2::2])) == sorted([pid, exec_pid])
    containers.delete(cid, "--force")


@pytest.mark.cgroupv2
def test_events_stats_numbers_move_while_busy(runtime, containers):
    cid, pid = containers.create("sh", "-c", "while :; do :; done & exec sleep 100")
    text = runtime("events", "--stats", cid).stdout
    first = json.loads(text)
    assert (first["type"], first["id"]) == ("stats", cid)
    # runc's compact JSON on one line: tools match '{"type":"stats","id":' as text
    assert text == json.dumps(first, separators=(",", ":")) + "\n" and text.startswith('{"type":"stats","id":')
    listed = runtime("ps", "--format", "json", cid).stdout
    assert pid in json.loads(listed) and listed == json.dumps(json.loads(listed), separators=(",", ":")) + "\n"
    def busy_for_a_while():  # the loop's 0.1 s of CPU: soon on an idle machine, later on a loaded one
        data = json.loads(runtime("events", "--stats", cid).stdout)["data"]
        return data if data["cpu"]["usage"]["total"] > first["data"]["cpu"]["usage"]["total"] + 100_000_000 else None
    second = wait_for(busy_for_a_while, timeout=30, what="the busy loop's CPU time in the stats")
    assert second["pids"]["current"] == 2
    assert second["memory"]["usage"]["usage"] > 0
    runtime("delete", "--force", cid)


def test_kill_all_reaches_every_process(runtime, bundle, containers):
    # no pid namespace: the init's death would otherwise take the others with it
    bundle.config["linux"]["namespaces"] = [n for n in bundle.config["linux"]["namespaces"] if n["type"] != "pid"]
    cid, pid = containers.create("sh", "-c", "sleep 100 & sleep 100 & exec sleep 100")
    exec_pid = containers.exec_detached(cid, "sleep", "99")
    everyone = wait_for(lambda: (lambda p: p if len(p) == 4 else None)(
        json.loads(runtime("ps", "--format", "json", cid).stdout)), what="four processes")
    assert pid in everyone and exec_pid in everyone
    runtime("kill", "--all", cid, "TERM")
    for p in everyone:
        wait_for(lambda: proc_state(p) in (None, "Z"), what=f"pid {p} to die")
    runtime("delete", cid)


def test_delete_after_a_plain_kill_ends_the_rest_of_the_cgroup(runtime, bundle, containers):
    bundle.config["linux"]["namespaces"] = [n for n in bundle.config["linux"]["namespaces"] if n["type"] != "pid"]
    cid, pid = containers.create("sh", "-c", "sleep 100 & exec sleep 100")
    everyone = wait_for(lambda: (lambda p: p if len(p) == 2 else None)(
        json.loads(runtime("ps", "--format", "json", cid).stdout)), what="two processes")
    other = [p for p in everyone if p != pid][0]
    runtime("kill", cid, "TERM")                               # the init only
    wait_for(lambda: runtime.state(cid)["status"] == "stopped")
    assert proc_state(other) == "S"
    try:
        runtime("delete", cid)
        reap_orphans()
        assert proc_state(other) is None
    finally:
        if proc_state(other) not in (None, "Z"):
            os.kill(other, 9)
            wait_for(lambda: reap_orphans() or proc_state(other) is None)
            runtime("delete", cid, check=False)


@pytest.mark.cgroupv2
def test_update_device_rules_take_effect_on_a_running_container(runtime, bundle, containers, tmp_path):
    """A deny-all rule given to `update` clears what create allowed; a later allow applies on top.
    (runc 1.1.5 on cgroup v1 leaves the old rules in force: the rules given are applied here.)"""
    import subprocess
    bundle.config["linux"]["devices"] = [{"path": "/dev/mynull", "type": "c", "major": 1, "minor": 3,
                                          "fileMode": 0o666}]
    cid, pid = containers.create("sleep", "100")

    def writes(device):
        return runtime("exec", cid, "sh", "-c", f"echo x > {device}", check=False,
                       stdin=subprocess.DEVNULL).returncode == 0

    assert writes("/dev/mynull") and writes("/dev/zero")
    rules = tmp_path / "rules.json"
    rules.write_text(json.dumps({"devices": [{"allow": False, "access": "rwm"}]}))
    runtime("update", "--resources", str(rules), cid)
    if V1:
        assert read_cg(pid, "devices", "devices.list") == ""
    assert not writes("/dev/mynull") and not writes("/dev/zero")
    rules.write_text(json.dumps({"devices": [{"allow": True, "type": "c", "major": 1, "minor": 3, "access": "rw"}]}))
    runtime("update", "--resources", str(rules), cid)
    if V1:
        assert read_cg(pid, "devices", "devices.list").split() == ["c", "1:3", "rw"]
    assert writes("/dev/mynull") and not writes("/dev/zero")
    runtime("delete", "--force", cid)


# (flag, value, controller, v1 file, what the file shows): runc's users put the flags after the id
UPDATE_FLAGS_V1 = [
    ("--memory", "64m", "memory", "memory.limit_in_bytes", str(64 << 20)),
    ("--memory-reservation", "32m", "memory", "memory.soft_limit_in_bytes", str(32 << 20)),
    ("--memory-swap", "-1", "memory", "memory.memsw.limit_in_bytes", "9223372036854771712"),
    ("--cpu-period", "900000", "cpu", "cpu.cfs_period_us", "900000"),
    ("--cpu-quota", "30000", "cpu", "cpu.cfs_quota_us", "30000"),
    ("--cpu-share", "300", "cpu", "cpu.shares", "300"),
    ("--cpu-rt-period", "900000", "cpu", "cpu.rt_period_us", "900000"),
    ("--cpu-rt-runtime", "0", "cpu", "cpu.rt_runtime_us", "0"),
    ("--cpuset-cpus", "1", "cpuset", "cpuset.cpus", "1"),
    ("--cpuset-mems", "0", "cpuset", "cpuset.mems", "0"),
    ("--pids-limit", "33", "pids", "pids.max", "33"),
    ("--blkio-weight", "300", "blkio", "blkio.weight", "300"),
]


@pytest.mark.skipif(not V1, reason="the v1 files named here")
@pytest.mark.parametrize("flag, value, controller, name, shown", UPDATE_FLAGS_V1, ids=[f[0] for f in UPDATE_FLAGS_V1])
def test_each_update_flag_after_the_id_reaches_the_cgroup(runtime, containers, flag, value, controller, name, shown):
    cid, pid = containers.create("sleep", "100")
    try:
        if not os.path.exists(os.path.join(cgroup_dir(pid, controller), name)):
            pytest.skip(f"this kernel has no {name}")
        if flag == "--memory-swap":
            runtime("update", cid, "--memory", "64m")
        runtime("update", cid, flag, value)
        assert read_cg(pid, controller, name) == shown
        other, other_value, other_controller, other_name = (("--cpu-share", "512", "cpu", "cpu.shares") if flag == "--pids-limit"
                                                            else ("--pids-limit", "44", "pids", "pids.max"))
        runtime("update", cid, f"{flag}={value}", other, other_value)     # = form, and two flags after the id
        assert (read_cg(pid, controller, name), read_cg(pid, other_controller, other_name)) == (shown, other_value)
    finally:
        runtime("delete", "--force", cid)
