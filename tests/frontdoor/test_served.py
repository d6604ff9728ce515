"""Every command the front door serves, against real containers, through the front door
alone (c_only: a hand-over would fail), observed from the kernel (/proc, cgroup files)
and the state dir; and the same output from the Python layer for the same container."""
import json
import os
import subprocess
import time

import pytest
from support import cgroup_path, created, own_cgroup_dirs, proc_state, wait_for

from .conftest import HANDED_OVER

# the init records each signal it gets in /signals (in the rootfs, read from the host)
RECORD_SIGNALS = ('for s in USR1 TERM; do trap "echo $s >>/signals" $s; done; '
                  'echo ready >/signals; while :; do sleep 0.05; done')


def started(runtime, c_only, bundle, *args):
    cid, pid = created(runtime, bundle, *args)
    c_only("start", cid)
    return cid, pid


def cgroup_procs(bundle):
    return [d for d in own_cgroup_dirs(cgroup_path(bundle)) if os.path.exists(d)]


def test_status_transitions_and_delete_through_c(runtime, c_only, bundle):
    cid, pid = created(runtime, bundle, "sleep", "100")
    assert json.loads(c_only("state", cid).stdout)["status"] == "created"
    c_only("start", cid)
    assert proc_state(pid) in ("S", "R")
    state = json.loads(c_only("state", cid).stdout)
    assert (state["status"], state["pid"], state["id"]) == ("running", pid, cid)
    c_only("kill", cid, "KILL")
    wait_for(lambda: json.loads(c_only("state", cid).stdout)["status"] == "stopped")
    assert json.loads(c_only("state", cid).stdout)["pid"] == 0
    assert cgroup_procs(bundle)
    c_only("delete", cid)
    assert not os.listdir(runtime.root)
    assert cgroup_procs(bundle) == []


@pytest.mark.parametrize("spelling", ["USR1", "SIGUSR1", "sigusr1", "10"])
def test_kill_by_name_and_number(runtime, c_only, bundle, spelling):
    bundle.config["root"]["readonly"] = False
    cid, pid = started(runtime, c_only, bundle, "sh", "-c", RECORD_SIGNALS)
    signals = os.path.join(bundle.rootfs, "signals")
    wait_for(lambda: os.path.exists(signals) and "ready" in open(signals).read())
    c_only("kill", cid, spelling)
    wait_for(lambda: "USR1" in open(signals).read(), what="the trap to record USR1")
    assert proc_state(pid) in ("S", "R")  # handled, not killed
    c_only("kill", cid)  # SIGTERM by default
    wait_for(lambda: "TERM" in open(signals).read(), what="the trap to record TERM")
    c_only("kill", cid, "KILL")
    wait_for(lambda: proc_state(pid) in (None, "Z"))
    c_only("delete", cid)


def test_kill_all_signals_every_process(runtime, c_only, bundle):
    cid, pid = started(runtime, c_only, bundle, "sh", "-c", "sleep 100 & sleep 100 & wait")
    procs = os.path.join(own_cgroup_dirs(cgroup_path(bundle))[0], "cgroup.procs")
    wait_for(lambda: len(open(procs).read().split()) == 3, what="three processes")
    c_only("kill", "--all", cid, "9")
    wait_for(lambda: open(procs).read().split() == [], what="an empty cgroup")
    c_only("delete", cid)


def test_kill_of_a_stopped_container_fails(runtime, c_only, python_layer, bundle):
    cid, pid = started(runtime, c_only, bundle, "true")
    wait_for(lambda: proc_state(pid) in (None, "Z"))
    by_c, by_py = c_only("kill", cid, check=False), python_layer("kill", cid, check=False)
    assert (by_c.returncode, by_c.stderr) == (by_py.returncode, by_py.stderr) == (1, "ociruntime: container not running\n")
    c_only("kill", "--all", cid, "KILL")  # runc: fine, nothing left to signal
    c_only("delete", cid)


def test_delete_of_created_running_and_stopped(runtime, c_only, python_layer, bundle):
    created_id, created_pid = created(runtime, bundle, "sleep", "100")
    c_only("delete", created_id)  # never started: the init is killed
    assert proc_state(created_pid) in (None, "Z")

    running_id, running_pid = started(runtime, c_only, bundle, "sleep", "100")
    by_c = c_only("delete", running_id, check=False)
    by_py = python_layer("delete", running_id, check=False)
    assert (by_c.returncode, by_c.stderr) == (by_py.returncode, by_py.stderr)
    assert by_c.stderr == f"ociruntime: cannot delete container {running_id} that is not stopped: running\n"
    assert proc_state(running_pid) in ("S", "R")
    c_only("delete", "--force", running_id)
    assert proc_state(running_pid) in (None, "Z")

    stopped_id, stopped_pid = started(runtime, c_only, bundle, "true")
    wait_for(lambda: proc_state(stopped_pid) in (None, "Z"))
    c_only("delete", stopped_id)
    assert not os.listdir(runtime.root)
    assert cgroup_procs(bundle) == []


def test_unknown_id(runtime, c_only, python_layer, bundle):
    for args in (["state", "nope"], ["start", "nope"], ["kill", "nope"], ["delete", "nope"]):
        by_c, by_py = c_only(*args, check=False), python_layer(*args, check=False)
        assert (by_c.returncode, by_c.stdout, by_c.stderr) == (by_py.returncode, by_py.stdout, by_py.stderr)
        assert by_c.stderr == "ociruntime: container nope does not exist\n"
    assert c_only("delete", "--force", "nope").returncode == 0


def test_errors_land_in_the_json_log(runtime, c_only, bundle):
    c_only("kill", "nope", check=False)
    last = runtime.log_lines()[-1]
    assert (last["level"], last["msg"]) == ("error", "container nope does not exist")
    assert time.strftime("%Y-%m-%dT", time.gmtime()) in last["time"] and last["time"].endswith("Z")


def test_same_state_output_as_the_python_layer(runtime, c_only, python_layer, bundle):
    bundle.config["annotations"] = {"org.example/quote": 'say "hi"\tnow', "emoji": "caf\u00e9 \U0001F600",
                                    "empty": ""}
    bundle.save()
    cid, pid = created(runtime, bundle, "sh", "-c", "sleep 100")
    outputs = []
    for step in ("created", "start", "kill", "stopped"):
        if step == "start":
            c_only("start", cid)
        elif step == "kill":
            c_only("kill", cid, "KILL")
            wait_for(lambda: proc_state(pid) in (None, "Z"))
        by_c, by_py = c_only("state", cid), python_layer("state", cid)
        assert by_c.stdout == by_py.stdout
        outputs.append(json.loads(by_c.stdout)["status"])
    assert outputs == ["created", "running", "stopped", "stopped"]
    assert json.loads(by_c.stdout)["annotations"] == bundle.config["annotations"]
    for command in (["start", cid], ["kill", cid, "KILL"]):
        by_c, by_py = c_only(*command, check=False), python_layer(*command, check=False)
        assert (by_c.returncode, by_c.stderr) == (by_py.returncode, by_py.stderr) != (0, "")
    c_only("delete", cid)


def test_poststart_hook_is_handed_over(runtime, c_only, bundle, tmp_path):
    marker = tmp_path / "poststart-ran"
    bundle.config["hooks"] = {"poststart": [{"path": "/bin/sh", "args": ["sh", "-c", f"echo ran > {marker}"]}]}
    bundle.save()
    cid, pid = created(runtime, bundle, "sleep", "100")
    refused = c_only("start", cid, check=False)
    assert refused.returncode == 1 and HANDED_OVER in refused.stderr
    assert json.loads(c_only("state", cid).stdout)["status"] == "created"  # nothing was done
    runtime("start", cid)  # the installed command: handed over to Python, which runs the hook
    assert marker.read_text() == "ran\n"
    c_only("kill", cid, "KILL")
    wait_for(lambda: proc_state(pid) in (None, "Z"))
    c_only("delete", cid)


def test_poststop_hook_and_network_record_are_handed_over(runtime, c_only, bundle, tmp_path):
    marker = tmp_path / "poststop-ran"
    bundle.config["hooks"] = {"poststop": [{"path": "/bin/sh", "args": ["sh", "-c", f"echo ran > {marker}"]}]}
    bundle.save()
    cid, pid = started(runtime, c_only, bundle, "true")
    wait_for(lambda: proc_state(pid) in (None, "Z"))
    refused = c_only("delete", cid, check=False)
    assert refused.returncode == 1 and HANDED_OVER in refused.stderr
    runtime("delete", cid)
    assert marker.read_text() == "ran\n"
    assert not os.listdir(runtime.root)


def test_version_is_served_and_matches(c_only, python_layer):
    for flag in ("--version", "-v"):
        by_c, by_py = c_only(flag), python_layer(flag)
        assert by_c.stdout == by_py.stdout and by_c.stdout.startswith("ociruntime version ")


def test_the_same_lock_as_the_python_layer(runtime, c_only, bundle):
    """A call waits while another holds the state dir's flock (StateDir's lock), seen in the
    kernel: the waiting process sleeps in the file-lock code."""
    import fcntl
    cid, pid = created(runtime, bundle, "sleep", "100")
    held = os.open(os.path.join(runtime.root, cid), os.O_RDONLY | os.O_DIRECTORY)
    fcntl.flock(held, fcntl.LOCK_EX)
    waiting = subprocess.Popen(c_only.cmd + ["--root", runtime.root, "delete", "--force", cid])
    try:
        wait_for(lambda: "lock" in open(f"/proc/{waiting.pid}/wchan").read(), what="delete to wait on the lock")
        assert proc_state(pid) in ("S", "R")
    finally:
        os.close(held)
    assert waiting.wait(timeout=30) == 0
    assert proc_state(pid) in (None, "Z") and not os.listdir(runtime.root)


def test_debug_and_unusable_log_settings_are_the_python_layers(runtime, c_only, tmp_path):
    """--debug lines, an unknown --log-format and a --log that cannot be opened: log.py's."""
    for flags in (["--debug"], ["--log-format", "bogus"], ["--log", str(tmp_path / "no-such-dir" / "x.log")]):
        refused = subprocess.run(c_only.cmd + ["--root", runtime.root, *flags, "state", "nope"], capture_output=True,
                                 text=True)
        assert refused.returncode == 1 and HANDED_OVER in refused.stderr
