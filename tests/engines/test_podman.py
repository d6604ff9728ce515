"""podman 4.3 (conmon) with `--runtime ociruntime`: run, exec, pause, kill, rm. engines.sh's
containers.conf: cgroupfs, file events, nofile/nproc 4096, conmon left in our cgroup."""
import pytest

from .conftest import gone, host_cgroup_file, read
from .test_docker_tty import SIZE, SIZE_LINE, run_in_pty

pytestmark = pytest.mark.engines

IMAGE = "localhost/bb"
PARENT = ["--cgroup-parent", "oci-test-podman"]  # relative: beneath conmon's (= pytest's) cgroup


def test_run_output_and_exit_code(podman):
    assert podman.out("run", "--rm", *PARENT, IMAGE, "echo", "hi podman") == "hi podman"
    assert podman("run", "--rm", *PARENT, IMAGE, "sh", "-c", "exit 3", check=False).returncode == 3
    out = podman.out("run", "--rm", *PARENT, IMAGE, "sh", "-c", "ulimit -n; ip -o link")
    nofile, link = out.splitlines()
    assert nofile == "4096" and ": lo: <LOOPBACK,UP," in link


def test_exec_pause_kill_rm(podman):
    name = podman.name()
    podman("run", "-d", "--name", name, *PARENT, IMAGE, "sh", "-c",
           'trap "exit 9" USR1; while true; do sleep 0.1; done')
    assert podman.out("exec", "-e", "X=1", "-w", "/tmp", name, "sh", "-c", "echo $X $(pwd)") == "1 /tmp"
    assert podman("exec", name, "sh", "-c", "exit 4", check=False).returncode == 4

    pid = int(podman.out("inspect", "-f", "{{.State.Pid}}", name))
    state = host_cgroup_file(pid, "freezer", "freezer.state")
    podman("pause", name)
    assert podman.out("inspect", "-f", "{{.State.Status}}", name) == "paused" and read(state) == "FROZEN"
    podman("unpause", name)
    assert podman.out("inspect", "-f", "{{.State.Status}}", name) == "running" and read(state) == "THAWED"

    podman("kill", "-s", "USR1", name)
    podman("wait", name, timeout=30)
    assert podman.out("inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", name) == "exited 9"
    podman("rm", name)
    assert podman("inspect", name, check=False).returncode != 0


def test_rm_force_of_a_running_container(podman):
    name = podman.name()
    podman("run", "-d", "--name", name, *PARENT, IMAGE, "sleep", "1000")
    pid = int(podman.out("inspect", "-f", "{{.State.Pid}}", name))
    podman("rm", "-f", "-t", "0", name)
    assert not podman.out("ps", "-aq", "--filter", f"name={name}")
    assert gone(pid)


def test_exec_it_through_conmon(podman):
    name = podman.name()
    podman("run", "-d", "--name", name, *PARENT, IMAGE, "sleep", "1000")
    code, out = run_in_pty(podman.cmd + ["exec", "-it", name, "sh", "-c", SIZE + "; exit 5"], podman.env)
    lines = out.strip("\x00").splitlines()
    assert code == 5 and lines[0].startswith("/dev/pts/") and SIZE_LINE in lines[1], out
