"""The Python API against real containers: every method of Runtime and Container, the
context manager (nothing left when its body raises), and each typed error. Observed
from the kernel: /proc, the container's cgroup files."""
import json
import os
import signal

import pytest
from support import cgroup_path, own_cgroup_dirs, proc_state, reap_orphans

import ociruntime
from ociruntime import errors


@pytest.fixture
def rt(tmp_path):
    runtime = ociruntime.Runtime(str(tmp_path / "root"))
    yield runtime
    left = runtime.list()
    for c in left:
        c.delete(force=True)
    reap_orphans()
    assert not left, f"containers left behind: {left}"


@pytest.fixture(autouse=True)
def _cgroup_parents_removed(remove_test_cgroup_parents):
    pass


def cgroup_dirs(bundle):
    return [d for d in own_cgroup_dirs(cgroup_path(bundle)) if os.path.isdir(d)]


def cgroup_file(bundle, name):
    """The container's cgroup file `name` in whichever hierarchy has it."""
    for d in cgroup_dirs(bundle):
        if os.path.exists(os.path.join(d, name)):
            with open(os.path.join(d, name)) as f:
                return f.read().strip()
    raise AssertionError(f"no {name} in {cgroup_dirs(bundle)}")


def test_create_start_exec_kill_wait_delete(rt, bundle):
    bundle.set_args("sleep", "1000")
    c = rt.create("api1", bundle.path)
    assert isinstance(c, ociruntime.Container) and rt.get("api1") == c and rt.list() == [c]
    state = c.state()
    assert (state["id"], state["status"], state["bundle"]) == ("api1", "created", bundle.path)
    pid = c.pid
    assert proc_state(pid) in ("S", "R") and c.processes() == [pid]
    assert c.config["process"]["args"] == ["sleep", "1000"]
    c.start()
    assert c.status == "running"
    with open(f"/proc/{pid}/cmdline", "rb") as f:
        assert f.read().split(b"\0")[0] == b"sleep"
    assert c.exec(["sh", "-c", "exit 3"]) == 3
    process = dict(c.config["process"], args=["sh", "-c", "test $(cat /proc/self/cgroup | wc -l) -gt 0"])
    assert c.exec(process) == 0
    detached_pid = c.exec(["sleep", "1000"], detach=True)
    assert detached_pid in c.processes() and pid in c.processes()
    c.kill("KILL", all=True)
    assert os.waitpid(detached_pid, 0)[0] == detached_pid  # first: the init's exit waits for it
    assert c.wait(timeout=10) == 128 + signal.SIGKILL
    assert c.status == "stopped" and c.pid == 0
    assert c.wait() is None  # already reaped
    c.delete()
    assert proc_state(pid) is None and rt.list() == [] and cgroup_dirs(bundle) == []
    with pytest.raises(errors.NotFound):
        c.state()


def test_context_manager_leaves_nothing_when_the_body_raises(rt, bundle):
    bundle.set_args("sleep", "1000")
    with pytest.raises(ZeroDivisionError):
        with rt.create("api2", bundle.path) as c:
            c.start()
            pid = c.pid
            assert cgroup_dirs(bundle)
            1 / 0
    assert proc_state(pid) is None  # killed and reaped: no zombie either
    assert rt.list() == [] and cgroup_dirs(bundle) == [] and not os.listdir(rt.root)


def test_pause_resume_update_stats_events(rt, bundle):
    bundle.set_args("sleep", "1000")
    with rt.create("api3", bundle.path) as c:
        c.start()
        frozen = ("freezer.state", "FROZEN") if any(os.path.exists(os.path.join(d, "freezer.state"))
                                                    for d in cgroup_dirs(bundle)) else ("cgroup.freeze", "1")
        c.pause()
        assert c.status == "paused" and cgroup_file(bundle, frozen[0]) == frozen[1]
        c.resume()
        assert c.status == "running" and cgroup_file(bundle, frozen[0]) != frozen[1]
        c.update({"pids": {"limit": 42}})
        assert cgroup_file(bundle, "pids.max") == "42"
        assert c.config["linux"]["resources"]["pids"]["limit"] == 42
        stats = c.stats()
        assert stats["type"] == "stats" and stats["id"] == "api3" and stats["data"]["pids"]["current"] == 1
        events = c.events(interval=0.05)
        first = next(events)
        assert first["type"] == "stats" and first["data"]["pids"]["limit"] == 42
        c.kill(signal.SIGKILL)
        assert all(e["type"] in ("stats", "oom") for e in events)  # the iterator ends with the container
        assert c.wait(timeout=10) == 137


def test_run_returns_the_exit_code_and_leaves_nothing(rt, bundle):
    bundle.set_args("sh", "-c", "exit 7")
    bundle.config["process"]["terminal"] = False
    bundle.save()
    assert ociruntime.run(bundle.path, "api4", root=rt.root) == 7
    assert rt.list() == [] and cgroup_dirs(bundle) == []


def test_not_found_already_exists_wrong_state(rt, bundle):
    with pytest.raises(errors.NotFound, match="container nope does not exist"):
        rt.get("nope")
    with pytest.raises(errors.NotFound):
        ociruntime.Container(rt, "nope").kill("TERM")
    ociruntime.Container(rt, "nope").delete(force=True)  # already gone: fine with force
    with pytest.raises(errors.InvalidArgument):
        rt.get("../x")
    bundle.set_args("sleep", "1000")
    with rt.create("api5", bundle.path) as c:
        with pytest.raises(errors.AlreadyExists, match="container with id exists: api5"):
            rt.create("api5", bundle.path)
        assert c.status == "created"  # the first one is untouched
        with pytest.raises(errors.WrongState) as resume:
            c.resume()
        assert resume.value.status == "created"
        c.start()
        with pytest.raises(errors.WrongState, match="cannot start a container that is running"):
            c.start()
        with pytest.raises(errors.WrongState) as delete:
            c.delete()
        assert delete.value.status == "running"
        with pytest.raises(errors.InvalidArgument, match="invalid signal: NOPE"):
            c.kill("NOPE")


def test_config_hook_spawn_and_cgroup_errors(rt, bundle):
    bundle.set_args()
    with pytest.raises(errors.ConfigError) as config:
        rt.create("api6", bundle.path)
    assert config.value.field == "process.args"
    bundle.set_args("/no/such/program")
    with pytest.raises(errors.SpawnError, match="/no/such/program"):
        rt.create("api6", bundle.path)
    bundle.set_args("true")
    bundle.config["hooks"] = {"prestart": [{"path": "/bin/false"}]}
    bundle.save()
    with pytest.raises(errors.HookError, match=r"prestart hook #0 \(/bin/false\): exit status 1") as hook:
        rt.create("api6", bundle.path)
    assert (hook.value.kind, hook.value.index) == ("prestart", 0)
    assert rt.list() == [] and cgroup_dirs(bundle) == []  # each failure left nothing
    del bundle.config["hooks"]
    bundle.set_args("sleep", "1000")
    with rt.create("api6", bundle.path) as c:
        with pytest.raises(errors.CgroupError, match="linux.resources.cpu.cpus: cannot write '4096'"):
            c.update({"cpu": {"cpus": "4096"}})


def test_damaged_state_is_never_taken_for_gone(rt, bundle):
    bundle.set_args("sleep", "1000")
    c = rt.create("api7", bundle.path)
    path = os.path.join(rt.root, "api7", "state.json")
    with open(path) as f:
        pid = json.loads(f.read())["pid"]
    with open(path, "w") as f:
        f.write("{damaged")
    with pytest.raises(errors.StateDamaged, match="container api7: state is corrupt"):
        rt.get("api7")
    with pytest.raises(errors.StateDamaged, match="delete --force removes"):
        c.delete()  # not "already gone": its init and cgroup are still there
    assert proc_state(pid) not in (None, "Z")
    c.delete(force=True)  # from recovery.json: the init, its cgroup, the state dir
    reap_orphans()
    assert proc_state(pid) is None and cgroup_dirs(bundle) == [] and rt.list() == []