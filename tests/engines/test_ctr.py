"""containerd's own client: `ctr run --runtime io.containerd.runc.v2 --runc-binary ociruntime`
(the runc shim calling ociruntime without Docker in between)."""
import time

import pytest

from .conftest import RUNTIME, host_cgroup_file, read

pytestmark = pytest.mark.engines

IMAGE = "docker.io/library/bb:latest"


def run_args(name, *opts):
    """Options for `ctr run`: our runtime, a cgroup beneath the shim's own (= pytest's)."""
    return ["run", "--runtime", "io.containerd.runc.v2", "--runc-binary", RUNTIME,
            "--cgroup", f"oci-test-ctr/{name}", *opts, IMAGE, name]


def test_run_output_and_exit_code(ctr):
    name = ctr.name()
    proc = ctr(*run_args(name, "--rm"), "sh", "-c", "echo hi from ctr; ip -o link; exit 4", check=False)
    assert proc.returncode == 4
    out = proc.stdout.splitlines()
    assert out[0] == "hi from ctr" and len(out) == 2 and ": lo: <LOOPBACK,UP," in out[1]
    assert name not in ctr.out("containers", "ls", "-q").split()


def test_detached_task_exec_ps_pause_kill(ctr):
    name = ctr.name()
    ctr(*run_args(name, "-d"), "sh", "-c", 'trap "exit 7" USR1; while true; do sleep 0.1; done')
    tasks = dict(line.split()[::2] for line in ctr.out("task", "ls").splitlines()[1:])
    assert tasks[name] == "RUNNING"
    pid = int(ctr.out("task", "ls").split(name)[1].split()[0])

    proc = ctr("task", "exec", "--exec-id", "e1", name, "sh", "-c", "echo exec-out; exit 2", check=False)
    assert (proc.returncode, proc.stdout) == (2, "exec-out\n")
    ps_pids = [int(line.split()[0]) for line in ctr.out("task", "ps", name).splitlines()[1:]]
    assert pid in ps_pids

    state = host_cgroup_file(pid, "freezer", "freezer.state")
    assert state.endswith(f"/oci-test-ctr/{name}/freezer.state")
    ctr("task", "pause", name)
    assert read(state) == "FROZEN" and " PAUSED" in ctr.out("task", "ls")
    ctr("task", "resume", name)
    assert read(state) == "THAWED" and " RUNNING" in ctr.out("task", "ls")

    ctr("task", "kill", "-s", "SIGUSR1", name)
    deadline = time.monotonic() + 15
    while " STOPPED" not in ctr.out("task", "ls") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "exit with non-zero exit code 7" in ctr("task", "rm", name).stderr
