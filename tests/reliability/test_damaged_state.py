"""A damaged state.json (garbage, empty, truncated) on a created or running container is
never taken for "no such container": `list` shows it (status "unknown", a warning on
stderr), `state` fails naming the damage, `delete` without --force refuses, and
`delete --force` frees everything recovery.json names. A container whose create was
killed says "creating". What is left is checked from the kernel. Issue 14."""
import json
import os
import signal

import pytest

from support import cgroup_path, detached, new_id, own_cgroup_dirs, proc_state, reap_orphans

from .sweep import KILL_AT, ignore_present_children, live_children, wait_exited

V2 = pytest.mark.cgroupv2  # also in the pure cgroup v2 VM (tests/vm/run_v2.sh); ~25 s a test there


def damage(text, how):
    return {"garbage": "\x00garbage{", "empty": "", "truncated": text[:len(text) // 2]}[how]


def leftovers(runtime, bundle, cid, pid):
    left = {}
    if os.path.exists(os.path.join(runtime.root, cid)):
        left["state dir"] = os.listdir(os.path.join(runtime.root, cid))
    cgroups = [d for d in own_cgroup_dirs(cgroup_path(bundle)) if os.path.exists(d)]
    if cgroups:
        left["cgroups"] = cgroups
    if proc_state(pid) not in (None, "Z"):
        left["init"] = pid
    return left


@pytest.mark.parametrize("how, started", [(how, started) for how in ("garbage", "empty") for started in (False, True)]
                         + [pytest.param("truncated", started, marks=V2) for started in (False, True)])
def test_damaged_state_is_listed_and_delete_force_frees_it(runtime, bundle, remove_test_cgroup_parents, how, started):
    bundle.set_args("sleep", "1000")
    cid = new_id("d")
    rc, _, err = detached(runtime, "run" if started else "create", *(["--detach"] if started else []),
                          "--bundle", bundle.path, cid)
    assert rc == 0, err
    path = os.path.join(runtime.root, cid, "state.json")
    with open(path) as f:
        text = f.read()
    pid = json.loads(text)["pid"]
    with open(path, "w") as f:
        f.write(damage(text, how))

    listed = runtime("list", "--format", "json")
    assert [(c["id"], c["status"]) for c in json.loads(listed.stdout)] == [(cid, "unknown")]
    assert f"container {cid}: state is corrupt" in listed.stderr
    state = runtime("state", cid, check=False)
    assert state.returncode == 1 and state.stderr.strip() == f"ociruntime: container {cid}: state is corrupt"
    refused = runtime("delete", cid, check=False)
    assert refused.returncode == 1 and "delete --force removes" in refused.stderr
    assert leftovers(runtime, bundle, cid, pid).keys() == {"state dir", "cgroups", "init"}  # all still there

    runtime("delete", "--force", cid)
    reap_orphans()
    assert leftovers(runtime, bundle, cid, pid) == {}
    assert runtime("list", "-q").stdout == ""


def test_recovery_record_damaged_too_fails_loudly_and_keeps_everything(runtime, bundle, remove_test_cgroup_parents):
    bundle.set_args("sleep", "1000")
    cid = new_id("d")
    rc, _, err = detached(runtime, "create", "--bundle", bundle.path, cid)
    assert rc == 0, err
    state_dir = os.path.join(runtime.root, cid)
    saved = {}
    for name in ("state.json", "recovery.json"):
        with open(os.path.join(state_dir, name)) as f:
            saved[name] = f.read()
        with open(os.path.join(state_dir, name), "w") as f:
            f.write("garbage")
    pid = json.loads(saved["state.json"])["pid"]
    try:
        failed = runtime("delete", "--force", cid, check=False)
        assert failed.returncode == 1
        assert f"recovery.json is corrupt: what the container holds is unknown; its state dir {state_dir} is kept" \
            in failed.stderr
        assert leftovers(runtime, bundle, cid, pid).keys() == {"state dir", "cgroups", "init"}
    finally:
        # with the record back, delete --force can do its work (also when an assertion
        # above failed: the kept container must not outlive the test)
        with open(os.path.join(state_dir, "recovery.json"), "w") as f:
            f.write(saved["recovery.json"])
        runtime("delete", "--force", cid)
    reap_orphans()
    assert leftovers(runtime, bundle, cid, pid) == {}


def test_a_dir_without_records_holds_nothing_and_delete_removes_it(runtime):
    """What a create killed before its first write, or a delete killed after its last
    unlink, leaves: `state` names it, `list` shows it, plain `delete` removes it."""
    os.makedirs(os.path.join(runtime.root, "shell"))
    state = runtime("state", "shell", check=False)
    assert state.returncode == 1 and "container shell: state is missing (no state.json)" in state.stderr
    assert runtime("list", "-q").stdout == "shell\n"
    runtime("delete", "shell")
    assert os.listdir(runtime.root) == []


@V2
def test_a_killed_create_says_creating_until_deleted(runtime, bundle, remove_test_cgroup_parents):
    """Killed once its init was recorded: the init is gone with it (it dies with its
    parent until it is ready), the cgroups are not; `state` and `list` say "creating",
    `kill` and `start` refuse, and a plain `delete` frees it as runc deletes a created one."""
    bundle.set_args("sleep", "1000")
    cid = new_id("d")
    ignore_present_children()
    env = dict(os.environ, **{KILL_AT: "pid recorded"})
    import subprocess
    rc = subprocess.run(runtime.cmd + ["--root", runtime.root, "--trace", os.devnull, "create", "--bundle",
                                       bundle.path, cid], env=env, stdin=subprocess.DEVNULL,
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
    assert rc == -signal.SIGKILL
    assert wait_exited() == [] and live_children() == []
    state = runtime.state(cid)
    assert state["status"] == "creating" and state["pid"] > 0
    assert [c["status"] for c in json.loads(runtime("list", "--format", "json").stdout)] == ["creating"]
    assert [d for d in own_cgroup_dirs(cgroup_path(bundle)) if os.path.isdir(d)]
    for command in (["kill", cid, "KILL"], ["start", cid]):
        refused = runtime(*command, check=False)
        assert refused.returncode == 1 and "creating" in refused.stderr
    runtime("delete", cid)
    assert leftovers(runtime, bundle, cid, state["pid"]) == {}
