"""A detached container through its life: logs, exec, stop/start/restart, kill, pause, top, stats,
cp, rm -f; each checked by what docker reports and what the host's kernel shows."""
import os
import time

import pytest

from .conftest import gone, host_cgroup_file, read

pytestmark = pytest.mark.engines

# TERM and USR1 trapped so stop and kill have something to observe
LOOP = 'echo started; trap "echo bye; exit 0" TERM; trap "exit 42" USR1; while true; do sleep 0.1; done'


def wait_for(predicate, timeout=15, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def detached(docker, *opts, cmd=("sh", "-c", LOOP)):
    name = docker.name()
    docker("run", "-d", "--pull", "never", "--network", "none", "--name", name, *opts, "bb", *cmd)
    if cmd[-1] == LOOP:
        wait_for(lambda: "started" in docker.out("logs", name), what="the container to start")
    return name


def inspect(docker, name, fmt):
    return docker.out("inspect", "-f", fmt, name)


def pid_of(docker, name):
    return int(inspect(docker, name, "{{.State.Pid}}"))


def test_detached_logs(docker):
    name = detached(docker)
    assert docker.out("logs", name) == "started"
    assert inspect(docker, name, "{{.State.Status}}") == "running"


def test_exec_with_user_env_workdir_and_exit_code(docker):
    name = detached(docker)
    out = docker.out("exec", "-u", "65534", "-e", "FOO=bar", "-w", "/tmp", name, "sh", "-c", "id -u; echo $FOO; pwd")
    assert out.splitlines() == ["65534", "bar", "/tmp"]
    assert docker("exec", name, "sh", "-c", "exit 5", check=False).returncode == 5
    assert docker.out("exec", "-i", name, "cat", input="piped\n") == "piped"
    failed = docker("exec", name, "nosuchcmd", check=False)
    assert failed.returncode == 126
    assert 'OCI runtime exec failed: exec: "nosuchcmd": executable file not found in $PATH' in failed.stdout


def test_stop_sends_term_then_start_and_restart(docker):
    name = detached(docker)
    first_pid = pid_of(docker, name)
    docker("stop", name)
    assert docker.out("logs", name).splitlines() == ["started", "bye"]
    assert inspect(docker, name, "{{.State.Status}} {{.State.ExitCode}}") == "exited 0"
    assert gone(first_pid)
    docker("start", name)
    assert inspect(docker, name, "{{.State.Status}}") == "running"
    started = inspect(docker, name, "{{.State.StartedAt}}")
    docker("restart", "-t", "5", name)
    assert inspect(docker, name, "{{.State.Status}}") == "running"
    assert inspect(docker, name, "{{.State.StartedAt}}") != started


def test_kill_with_a_signal(docker):
    name = detached(docker)
    docker("kill", "-s", "USR1", name)
    wait_for(lambda: inspect(docker, name, "{{.State.Status}}") == "exited", what="exit after USR1")
    assert inspect(docker, name, "{{.State.ExitCode}}") == "42"


def test_pause_freezes_the_cgroup(docker):
    name = detached(docker)
    state = host_cgroup_file(pid_of(docker, name), "freezer", "freezer.state")
    docker("pause", name)
    assert inspect(docker, name, "{{.State.Status}}") == "paused"
    assert read(state) == "FROZEN"
    docker("unpause", name)
    assert inspect(docker, name, "{{.State.Status}}") == "running"
    assert read(state) == "THAWED"


def test_rm_force_kills_and_removes_the_cgroup(docker):
    name = detached(docker)
    pid = pid_of(docker, name)
    cgroup = os.path.dirname(host_cgroup_file(pid, "pids", "pids.max"))
    docker("rm", "-f", name)
    assert gone(pid)
    assert not os.path.exists(cgroup)
    assert docker("inspect", name, check=False).returncode != 0


def test_top_lists_the_containers_processes(docker):
    name = detached(docker, cmd=("sleep", "1000"))
    rows = docker.out("top", name).splitlines()
    assert rows[0].split()[:3] == ["UID", "PID", "PPID"]
    assert [int(r.split()[1]) for r in rows[1:]] == [pid_of(docker, name)]
    assert rows[1].endswith("sleep 1000")


def test_stats_no_stream(docker):
    name = detached(docker, "-m", "64m", cmd=("sleep", "1000"))
    out = docker.out("stats", "--no-stream", "--format", "{{.Name}} {{.MemUsage}} {{.PIDs}}", name)
    got_name, usage, _, limit, pids = out.split()
    assert (got_name, limit, pids) == (name, "64MiB", "1")
    assert not usage.startswith("0B")


def test_cp_in_and_out(docker, tmp_path):
    name = detached(docker, cmd=("sleep", "1000"))
    (tmp_path / "in.txt").write_text("hostfile\n")
    docker("cp", str(tmp_path / "in.txt"), f"{name}:/tmp/in.txt")
    assert docker.out("exec", name, "cat", "/tmp/in.txt") == "hostfile"
    docker("cp", f"{name}:/etc/passwd", str(tmp_path / "passwd"))
    assert (tmp_path / "passwd").read_text().startswith("root:x:0:0:")


def test_host_pid_namespace_processes_die_with_the_container(docker):
    """They outlive the init: the shim's `kill --all` and `delete` of the stopped container must reach them."""
    name = detached(docker, "--pid", "host", cmd=("sh", "-c", "sleep 1000 & exec sleep 1001"))

    def top_pids():
        return [int(row.split()[1]) for row in docker.out("top", name).splitlines()[1:]]
    wait_for(lambda: len(top_pids()) == 2, what="both processes")
    pids = top_pids()
    cgroup = os.path.dirname(host_cgroup_file(pids[0], "pids", "pids.max"))
    docker("stop", "-t", "1", name)
    docker("rm", name)
    wait_for(lambda: all(gone(pid) for pid in pids), what="every process of the container to die")
    assert not os.path.exists(cgroup)
