"""The runc-compatible commands: state transitions, start, kill, delete, run, list,
spec, features, --version, and concurrent creates of one id."""
import json
import os
import re
import subprocess
import time

import pytest

from support import proc_state, wait_for

from support import created, detached, new_id

WAIT_FOR_TERM = 'trap "exit 7" TERM; echo ready; while :; do sleep 0.05; done'


def test_status_goes_created_running_stopped(runtime, bundle):
    cid, pid = created(runtime, bundle, "sleep", "100")
    state = runtime.state(cid)
    assert (state["status"], state["pid"], state["id"]) == ("created", pid, cid)
    assert state["bundle"] == bundle.path and state["ociVersion"].startswith("1.")
    assert proc_state(pid) in ("S", "R")
    runtime("start", cid)
    assert runtime.state(cid)["status"] == "running"
    runtime("kill", cid, "KILL")
    wait_for(lambda: runtime.state(cid)["status"] == "stopped")
    runtime("delete", cid)
    assert not os.listdir(runtime.root)
    assert proc_state(pid) in (None, "Z")


def test_start_twice_fails(runtime, bundle):
    cid, _ = created(runtime, bundle, "sleep", "100")
    runtime("start", cid)
    second = runtime("start", cid, check=False)
    assert second.returncode != 0 and "running" in second.stderr
    runtime("delete", "--force", cid)


def test_start_of_a_stopped_container_fails(runtime, bundle):
    cid, pid = created(runtime, bundle, "true")
    runtime("start", cid)
    wait_for(lambda: runtime.state(cid)["status"] == "stopped")
    again = runtime("start", cid, check=False)
    assert again.returncode != 0 and "stopped" in again.stderr
    runtime("delete", cid)


@pytest.mark.parametrize("signal_arg", [None, "TERM", "SIGTERM", "15", "term"])
def test_kill_sends_sigterm_by_name_number_or_default(runtime, bundle, signal_arg):
    bundle.config["linux"]["namespaces"] = [n for n in bundle.config["linux"]["namespaces"] if n["type"] != "pid"]
    cid, pid = created(runtime, bundle, "sh", "-c", WAIT_FOR_TERM)
    runtime("start", cid)
    runtime("kill", cid, *([signal_arg] if signal_arg else []))
    assert wait_for(lambda: os.waitpid(pid, os.WNOHANG)[0] and True)
    assert runtime.state(cid)["status"] == "stopped"
    runtime("delete", cid)


def test_run_exits_with_the_containers_status(runtime, bundle):
    bundle.set_args("sh", "-c", "echo out; echo err >&2; exit 3")
    proc = runtime("run", "--bundle", bundle.path, new_id(), check=False)
    assert (proc.returncode, proc.stdout, proc.stderr) == (3, "out\n", "err\n")
    assert not os.listdir(runtime.root)


def test_run_exits_128_plus_the_signal_that_killed_it(runtime, bundle):
    cid = new_id()
    bundle.set_args("sh", "-c", "echo ready; exec sleep 100")
    proc = subprocess.Popen(runtime.cmd + ["--root", runtime.root, "run", "--bundle", bundle.path, cid],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline() == "ready\n"
    runtime("kill", cid, "KILL")
    assert proc.wait(10) == 128 + 9
    assert not os.listdir(runtime.root)


def test_kill_all_signals_every_process(runtime, bundle):
    bundle.config["linux"]["namespaces"] = [n for n in bundle.config["linux"]["namespaces"] if n["type"] != "pid"]
    cid, pid = created(runtime, bundle, "sh", "-c", "sleep 100 & sleep 100 & wait")
    runtime("start", cid)
    children = wait_for(lambda: [int(p) for p in open(f"/proc/{pid}/task/{pid}/children").read().split()]
                        if len(open(f"/proc/{pid}/task/{pid}/children").read().split()) == 2 else None)
    runtime("kill", "--all", cid, "KILL")
    for p in [pid] + children:
        wait_for(lambda: proc_state(p) in (None, "Z"))
    runtime("delete", cid)


def test_kill_of_a_stopped_container_fails(runtime, bundle):
    cid, pid = created(runtime, bundle, "true")
    runtime("start", cid)
    wait_for(lambda: runtime.state(cid)["status"] == "stopped")
    for signal_args in (["KILL"], [], ["0"]):
        res = runtime("kill", cid, *signal_args, check=False)
        assert res.returncode != 0 and res.stderr == "ociruntime: container not running\n", signal_args
    runtime("delete", cid)


def test_kill_0_probes_a_live_container(runtime, bundle):
    """runc's `kill ID 0`: the kernel's permission probe, nothing delivered."""
    cid, pid = created(runtime, bundle, "sleep", "100")
    runtime("start", cid)
    assert runtime("kill", cid, "0").returncode == 0
    assert proc_state(pid) in ("S", "R") and runtime.state(cid)["status"] == "running"
    runtime("delete", "--force", cid)


def test_delete_running_needs_force(runtime, bundle):
    cid, pid = created(runtime, bundle, "sleep", "100")
    runtime("start", cid)
    refused = runtime("delete", cid, check=False)
    assert refused.returncode != 0 and "running" in refused.stderr
    assert proc_state(pid) in ("S", "R")
    runtime("delete", "--force", cid)
    assert proc_state(pid) in (None, "Z") and not os.listdir(runtime.root)


def test_delete_of_a_created_container_kills_its_init(runtime, bundle):
    cid, pid = created(runtime, bundle, "sleep", "100")
    runtime("delete", cid)
    assert proc_state(pid) in (None, "Z") and not os.listdir(runtime.root)


def test_run_detach_leaves_it_running(runtime, bundle):
    cid = new_id()
    bundle.set_args("sleep", "100")
    assert detached(runtime, "run", "--detach", "--bundle", bundle.path, cid)[::2] == (0, "")
    state = runtime.state(cid)
    assert state["status"] == "running" and proc_state(state["pid"]) in ("S", "R")
    runtime("delete", "--force", cid)


def test_list_formats(runtime, bundle):
    cid, pid = created(runtime, bundle, "sleep", "100")
    table = runtime("list").stdout.splitlines()
    assert table[0].split() == ["ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"]
    assert table[1].split()[:4] == [cid, str(pid), "created", bundle.path]
    text = runtime("list", "--format", "json").stdout
    listed = json.loads(text)
    assert [(s["id"], s["pid"], s["status"], s["bundle"]) for s in listed] == [(cid, pid, "created", bundle.path)]
    # runc's (Go's) compact JSON on one line, which tools match as text; the state dir's owner by name
    assert text == json.dumps(listed, separators=(",", ":")) + "\n"
    assert text.startswith('[{"ociVersion":') and listed[0]["owner"] == "root"
    assert table[1].split()[5] == "root"
    assert runtime("list", "-q").stdout == cid + "\n"
    runtime("delete", "--force", cid)


def test_spec_writes_a_default_config_once(runtime, tmp_path):
    runtime("spec", "--bundle", str(tmp_path))
    with open(tmp_path / "config.json") as f:
        config = json.load(f)
    assert config["ociVersion"].startswith("1.") and config["root"]["path"] == "rootfs"
    # runc 1.1's `spec` default, in its order: no cgroup namespace (tools that add one would then have two)
    assert [n["type"] for n in config["linux"]["namespaces"]] == ["pid", "network", "ipc", "uts", "mount"]
    again = runtime("spec", "--bundle", str(tmp_path), check=False)
    assert again.returncode != 0 and "exists" in again.stderr


def test_features_json(runtime):
    feats = json.loads(runtime("features").stdout)
    assert feats["ociVersionMin"].startswith("1.") and feats["ociVersionMax"].startswith("1.")
    assert feats["hooks"] == ["prestart", "createRuntime", "createContainer", "startContainer", "poststart",
                              "poststop"]
    assert set(feats["linux"]["namespaces"]) >= {"cgroup", "ipc", "mount", "network", "pid", "user", "uts"}
    assert {"ro", "rbind", "rprivate", "nosuid"} <= set(feats["mountOptions"])


def test_version_shape(runtime):
    out = subprocess.run(runtime.cmd + ["--version"], capture_output=True, text=True, check=True).stdout
    lines = out.splitlines()
    assert re.fullmatch(r"ociruntime version \S+", lines[0])
    assert any(re.fullmatch(r"spec: 1\.\d+\.\d+", line) for line in lines)


def test_concurrent_creates_of_one_id_exactly_one_wins(runtime, bundle, tmp_path):
    cid = new_id()
    bundle.set_args("sleep", "100")
    cmd = runtime.cmd + ["--root", runtime.root, "create", "--bundle", bundle.path, cid]
    errs = [tmp_path / f"err{i}" for i in range(2)]
    procs = [subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=open(e, "w"))
             for e in errs]
    results = [(p.wait(30), e.read_text()) for p, e in zip(procs, errs)]
    assert sorted(rc == 0 for rc, _ in results) == [False, True]
    assert any("exists" in err for rc, err in results if rc != 0)
    assert runtime.state(cid)["status"] == "created"
    runtime("delete", "--force", cid)


def test_run_forwards_signals_to_the_container(runtime, bundle):
    bundle.set_args("sh", "-c", WAIT_FOR_TERM)
    proc = subprocess.Popen(runtime.cmd + ["--root", runtime.root, "run", "--bundle", bundle.path, new_id()],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline() == "ready\n"
    proc.terminate()
    assert proc.wait(10) == 7
    assert not os.listdir(runtime.root)


def test_no_pivot(runtime, bundle):
    bundle.set_args("ls", "/")
    out = runtime("run", "--no-pivot", "--bundle", bundle.path, new_id()).stdout
    assert out.split() == sorted(os.listdir(bundle.rootfs))


def test_a_created_container_is_in_its_cgroup_in_every_hierarchy_until_deleted(runtime, bundle):
    from support import cgroup_path, own_cgroup_dirs
    cid, pid = created(runtime, bundle, "sleep", "100")
    dirs = own_cgroup_dirs(cgroup_path(bundle))
    assert len(dirs) >= 2
    for d in dirs:
        with open(os.path.join(d, "cgroup.procs")) as f:
            assert str(pid) in f.read().split(), d
    runtime("delete", "--force", cid)
    assert not [d for d in dirs if os.path.exists(d)]


def test_an_init_killed_before_start_is_stopped(runtime, bundle):
    cid, pid = created(runtime, bundle, "sleep", "100")
    os.kill(pid, 9)
    wait_for(lambda: proc_state(pid) in (None, "Z"))
    assert runtime.state(cid)["status"] == "stopped"
    res = runtime("start", cid, check=False)
    assert res.returncode != 0 and "stopped" in res.stderr
    runtime("delete", cid)
    assert not os.listdir(runtime.root)


def test_run_passes_stdin_through(runtime, bundle):
    bundle.set_args("sh", "-c", "read line; echo got $line")
    assert runtime("run", "--bundle", bundle.path, new_id(), input="hello\n").stdout == "got hello\n"


@pytest.mark.parametrize("signal_arg, dies", [(None, True), ("HUP", True), ("CHLD", False)])
def test_kill_of_a_created_container(runtime, bundle, signal_arg, dies):
    """A created init is its pid namespace's init, yet a terminating signal ends it (runc)."""
    cid, pid = created(runtime, bundle, "sleep", "100")
    runtime("kill", cid, *([signal_arg] if signal_arg else []))
    if dies:
        wait_for(lambda: proc_state(pid) in (None, "Z"))
        assert runtime.state(cid)["status"] == "stopped"
    else:
        time.sleep(0.2)
        assert runtime.state(cid)["status"] == "created"
    runtime("delete", cid)


def test_flags_after_the_id_as_runc_takes_them(runtime, bundle):
    """runc reorders a command's own flags from after the id (but not exec's or ps's)."""
    bundle.config["linux"]["namespaces"] = [n for n in bundle.config["linux"]["namespaces"] if n["type"] != "pid"]
    cid = new_id()
    bundle.set_args("sh", "-c", "sleep 100 & wait")
    pid_file = os.path.join(bundle.path, "pid")
    assert detached(runtime, "create", cid, "--bundle", bundle.path, "--pid-file", pid_file)[0] == 0
    with open(pid_file) as f:
        pid = int(f.read())
    runtime("start", cid)
    child = wait_for(lambda: open(f"/proc/{pid}/task/{pid}/children").read().split())[0]
    runtime("kill", cid, "KILL", "--all")
    for p in (pid, int(child)):
        wait_for(lambda: proc_state(p) in (None, "Z"), what=f"pid {p} killed")
    extra = runtime("state", cid, "--nope", check=False)       # an unknown flag after the id is an argument
    assert extra.returncode != 0 and "wrong number of arguments" in extra.stderr
    runtime("delete", cid, "--force")
    assert not os.listdir(runtime.root)
