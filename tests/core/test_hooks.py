"""hooks: the six kinds in order, the state each gets on stdin, the namespaces each
runs in, failures (fatal before start, warnings after) and timeouts."""
import json
import os

import pytest

from support import detached, leftovers, new_id
from .test_lifecycle import proc_state, wait_for

KINDS = ["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"]
# a hook's record: its kind ($1), then the state on stdin, then its mount namespace
RECORD = '#!/bin/sh\nstate=$(cat)\necho "$1 $(readlink /proc/self/ns/mnt) $state" >> {log}\n'


def write_hook(path, text):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o755)


@pytest.fixture
def recording_hooks(bundle, tmp_path):
    """Every kind records into one log: the in-container ones reach it through a bind mount."""
    logdir = tmp_path / "hooklog"
    logdir.mkdir()
    host_hook = str(tmp_path / "hook.sh")
    write_hook(host_hook, RECORD.format(log=logdir / "log"))
    write_hook(os.path.join(bundle.rootfs, "hook.sh"), RECORD.format(log="/hooklog/log"))
    bundle.config["mounts"].append({"destination": "/hooklog", "type": "bind", "source": str(logdir),
                                    "options": ["rbind"]})
    bundle.config["hooks"] = {k: [{"path": "/hook.sh" if k == "startContainer" else host_hook,
                                   "args": ["hook.sh", k]}] for k in KINDS}
    bundle.save()
    return logdir / "log"


def records(log):
    result = []
    for line in log.read_text().splitlines():
        kind, ns, state = line.split(" ", 2)
        result.append((kind, ns, json.loads(state)))
    return result


def test_all_six_kinds_in_order_with_state_and_namespaces(runtime, bundle, recording_hooks):
    cid = new_id()
    bundle.set_args("sleep", "100")
    pid_file = os.path.join(bundle.path, "pid")
    assert detached(runtime, "create", "--bundle", bundle.path, "--pid-file", pid_file, cid)[::2] == (0, "")
    pid = int(open(pid_file).read())
    container_mnt = os.readlink(f"/proc/{pid}/ns/mnt")
    runtime("start", cid)
    runtime("delete", "--force", cid)
    got = records(recording_hooks)
    assert [kind for kind, _, _ in got] == KINDS
    host_mnt = os.readlink("/proc/self/ns/mnt")
    assert container_mnt != host_mnt
    inside = {"createContainer", "startContainer"}
    assert {kind: ns for kind, ns, _ in got} == {k: container_mnt if k in inside else host_mnt for k in KINDS}
    statuses = {kind: state["status"] for kind, _, state in got}
    # the runtime-spec's lifecycle (create is done after step 2) and the OCI validation suite
    # (hooks_stdin: prestart "created"); runc 1.1.5 and crun 1.8.1 pass "creating" to prestart
    assert statuses == {"prestart": "created", "createRuntime": "created", "createContainer": "created",
                        "startContainer": "created", "poststart": "running", "poststop": "stopped"}
    for kind, _, state in got:
        assert (state["id"], state["bundle"], state["pid"]) == (cid, bundle.path, pid), kind
        assert state["ociVersion"].startswith("1.")


def test_hook_env_is_exactly_the_configs(runtime, bundle, tmp_path):
    out = tmp_path / "env"
    hook = str(tmp_path / "env.sh")
    write_hook(hook, f"#!/bin/sh\ntr '\\0' '\\n' < /proc/$$/environ > {out}\n")
    bundle.config["hooks"] = {"createRuntime": [{"path": hook, "env": ["ONLY=this"]}]}
    bundle.save()
    runtime("run", "--bundle", bundle.path, new_id())
    assert out.read_text().split() == ["ONLY=this"]


@pytest.mark.parametrize("kind", ["prestart", "createRuntime", "createContainer"])
def test_a_failing_create_phase_hook_fails_create_and_leaves_nothing(runtime, bundle, tmp_path, kind):
    hook = str(tmp_path / "fail.sh")
    write_hook(hook, "#!/bin/sh\nexit 3\n")
    bundle.config["hooks"] = {kind: [{"path": hook}]}
    bundle.set_args("sleep", "100")
    rc, _, err = detached(runtime, "create", "--bundle", bundle.path, new_id())
    assert rc != 0
    assert err.count("\n") == 1 and kind in err and "exit status 3" in err, err
    assert leftovers(runtime, bundle) == {}


@pytest.mark.parametrize("kind", ["prestart", "createContainer"])
def test_a_hook_that_times_out_fails_create(runtime, bundle, tmp_path, kind):
    hook = str(tmp_path / "slow.sh")
    write_hook(hook, "#!/bin/sh\nexec sleep 30\n")
    bundle.config["hooks"] = {kind: [{"path": hook, "timeout": 1}]}
    bundle.set_args("sleep", "100")
    rc, _, err = detached(runtime, "create", "--bundle", bundle.path, new_id())
    assert rc != 0 and "timed out" in err and err.count("\n") == 1, err
    assert leftovers(runtime, bundle) == {}


def test_a_failing_start_container_hook_fails_start(runtime, bundle):
    write_hook(os.path.join(bundle.rootfs, "fail.sh"), "#!/bin/sh\nexit 4\n")
    bundle.config["hooks"] = {"startContainer": [{"path": "/fail.sh"}]}
    bundle.set_args("sleep", "100")
    cid = new_id()
    assert detached(runtime, "create", "--bundle", bundle.path, cid)[0] == 0
    res = runtime("start", cid, check=False)
    assert res.returncode != 0 and "startContainer" in res.stderr
    assert runtime.state(cid)["status"] == "stopped"
    runtime("delete", cid)


def test_a_failing_poststart_hook_is_a_warning(runtime, bundle, tmp_path):
    hook = str(tmp_path / "fail.sh")
    write_hook(hook, "#!/bin/sh\nexit 5\n")
    bundle.config["hooks"] = {"poststart": [{"path": hook}, {"path": "/bin/true"}]}
    bundle.set_args("sleep", "100")
    cid = new_id()
    assert detached(runtime, "create", "--bundle", bundle.path, cid)[0] == 0
    res = runtime("start", cid)
    assert "poststart" in res.stderr
    assert runtime.state(cid)["status"] == "running"
    assert any(line["level"] == "warning" and "poststart" in line["msg"] for line in runtime.log_lines())
    runtime("delete", "--force", cid)


def test_a_failing_poststop_hook_is_a_warning_and_delete_goes_on(runtime, bundle, tmp_path):
    hook = str(tmp_path / "fail.sh")
    write_hook(hook, "#!/bin/sh\nexit 6\n")
    bundle.config["hooks"] = {"poststop": [{"path": hook}]}
    bundle.set_args("true")
    cid = new_id()
    assert detached(runtime, "create", "--bundle", bundle.path, cid)[0] == 0
    runtime("start", cid)
    wait_for(lambda: runtime.state(cid)["status"] == "stopped")
    res = runtime("delete", cid)
    assert "poststop" in res.stderr and not os.listdir(runtime.root)
    assert any(line["level"] == "warning" and "poststop" in line["msg"] for line in runtime.log_lines())


@pytest.mark.parametrize("kind", ["prestart", "createRuntime", "createContainer", "poststart"])
def test_hooks_get_no_runtime_fds(runtime, bundle, tmp_path, kind):
    out = tmp_path / "fds"
    # the test builtin opens nothing; -c: no script fd; a redirection only after the test
    script = f"for i in $(seq 0 64); do [ -e /proc/self/fd/$i ] && echo $i >> {out}; done; true"
    bundle.config["hooks"] = {kind: [{"path": "/bin/sh", "args": ["sh", "-c", script]}]}
    bundle.save()
    runtime("run", "--bundle", bundle.path, new_id())
    assert out.read_text().split() == ["0", "1", "2"]


def test_a_hook_can_ask_the_runtime_for_the_state(runtime, bundle, tmp_path):
    """create holds the container's lock while hooks run: `state` must not wait for it."""
    import shlex
    out = tmp_path / "state"
    state_cmd = shlex.join(runtime.cmd + ["--root", runtime.root, "state"])
    hook = str(tmp_path / "ask.sh")
    write_hook(hook, f"#!/bin/sh\nid=$(sed 's/.*\"id\": *\"\\([^\"]*\\)\".*/\\1/')\n"
                     f"timeout 5 {state_cmd} $id > {out}\n")
    bundle.config["hooks"] = {"createRuntime": [{"path": hook}]}
    bundle.save()
    cid = new_id()
    runtime("run", "--bundle", bundle.path, cid)
    state = json.loads(out.read_text())
    assert (state["id"], state["status"], state["bundle"]) == (cid, "creating", bundle.path)
    assert proc_state(state["pid"]) in (None, "Z")  # it was the init's pid


def test_args0_is_argv0_and_path_is_what_runs(runtime, bundle, tmp_path):
    """busybox picks its applet by argv[0]: path /bin/busybox with args ["sh", ...] runs sh."""
    logdir = tmp_path / "hooklog"
    logdir.mkdir()
    bundle.config["mounts"].append({"destination": "/hooklog", "type": "bind", "source": str(logdir),
                                    "options": ["rbind"]})
    busybox = os.path.realpath(os.path.join(bundle.rootfs, "bin", "busybox"))
    bundle.config["hooks"] = {
        k: [{"path": "/bin/busybox" if k == "startContainer" else busybox,
             "args": ["sh", "-c", f'echo "{k} $0" >> ' + ("/hooklog/log" if k == "startContainer"
                                                            else str(logdir / "log"))]}] for k in KINDS}
    bundle.set_args("true")
    runtime("run", "--bundle", bundle.path, new_id())
    assert (logdir / "log").read_text().splitlines() == [f"{k} sh" for k in KINDS]


@pytest.mark.parametrize("kind", ["prestart", "createRuntime", "createContainer"])
def test_a_failing_hooks_stderr_is_in_the_error(runtime, bundle, kind):
    busybox = os.path.realpath(os.path.join(bundle.rootfs, "bin", "busybox"))
    bundle.config["hooks"] = {kind: [{"path": busybox, "args": ["cat", "/nosuchfile"]}]}
    bundle.set_args("sleep", "100")
    rc, _, err = detached(runtime, "create", "--bundle", bundle.path, new_id())
    assert rc != 0
    assert err.splitlines() == [f"ociruntime: {kind} hook #0 ({busybox}): exit status 1, "
                                "stderr: cat: can't open '/nosuchfile': No such file or directory"], err
    assert leftovers(runtime, bundle) == {}


def test_a_failing_start_container_hooks_output_is_in_the_error(runtime, bundle):
    bundle.config["hooks"] = {"startContainer": [{"path": "/bin/sh", "args": ["sh", "-c", "echo said; cat /nosuch"]}]}
    bundle.set_args("sleep", "100")
    cid = new_id()
    assert detached(runtime, "create", "--bundle", bundle.path, cid)[0] == 0
    res = runtime("start", cid, check=False)
    assert res.returncode != 0
    assert res.stderr.splitlines() == ["ociruntime: startContainer hook #0 (/bin/sh): exit status 1, stdout: said, "
                                       "stderr: cat: can't open '/nosuch': No such file or directory"]
    runtime("delete", cid)


def test_in_container_hooks_without_env_see_the_container_process_environment(runtime, bundle, tmp_path):
    """As runc: createContainer hooks get process.env (each name once), startContainer
    hooks the process's final environment (HOME filled in from /etc/passwd)."""
    logdir = tmp_path / "hooklog"
    logdir.mkdir()
    bundle.config["mounts"].append({"destination": "/hooklog", "type": "bind", "source": str(logdir),
                                    "options": ["rbind"]})
    bundle.config["process"]["env"] = ["PATH=/bin", "ONE=1", "ONE=2", "HOME="]
    busybox = os.path.realpath(os.path.join(bundle.rootfs, "bin", "busybox"))
    bundle.config["hooks"] = {
        "createContainer": [{"path": busybox, "args": ["cp", "/proc/self/environ", str(logdir / "createContainer")]}],
        "startContainer": [{"path": "/bin/cp", "args": ["cp", "/proc/self/environ", "/hooklog/startContainer"]}]}
    bundle.set_args("true")
    runtime("run", "--bundle", bundle.path, new_id())
    assert (logdir / "createContainer").read_text().split("\0")[:-1] == ["PATH=/bin", "ONE=2", "HOME="]
    assert (logdir / "startContainer").read_text().split("\0")[:-1] == ["PATH=/bin", "ONE=2", "HOME=/root"]
