"""`docker run` on ociruntime (Docker 20.10 -> containerd 1.6 runc shim -> ociruntime): output,
exit codes, stdin, errors, and the options that become config.json fields."""
import os

import pytest

from .conftest import RUNTIME

pytestmark = pytest.mark.engines

RUN = ["run", "--rm", "--pull", "never", "--network", "none"]


def test_echo_runs_on_ociruntime(docker):
    assert docker.out(*RUN, "bb", "echo", "hi") == "hi"
    assert docker.out("info", "--format", "{{.DefaultRuntime}}") == "oci"


def test_exit_code_is_the_containers(docker):
    assert docker(*RUN, "bb", "sh", "-c", "exit 3", check=False).returncode == 3


def test_stdin_reaches_the_process(docker):
    assert docker.out(*RUN, "-i", "bb", "sh", "-c", "read x; echo got $x", input="hello\n") == "got hello"


def test_failure_shows_our_one_line_message(docker):
    """containerd shows the last "level":"error" line of the runtime's --log JSON."""
    proc = docker(*RUN, "bb", "nosuchcmd", check=False)
    assert proc.returncode == 127
    assert 'OCI runtime create failed: exec: "nosuchcmd": executable file not found in $PATH' in proc.stderr
    assert "runc" not in proc.stderr


def test_docker_info_shows_our_version(docker):
    with os.popen(f"{RUNTIME} --version") as f:
        commit = [line.split(": ", 1)[1] for line in f.read().splitlines() if line.startswith("commit: ")][0]
    assert docker.out("info", "--format", "{{.RuncCommit.ID}}") == commit


def test_env_workdir_user(docker):
    out = docker.out(*RUN, "-e", "A=1", "-w", "/tmp", "-u", "1000:1000", "bb", "sh", "-c", 'echo $A; pwd; id')
    assert out.splitlines() == ["1", "/tmp", "uid=1000 gid=1000 groups=1000"]


def test_read_only_rootfs(docker):
    proc = docker(*RUN, "--read-only", "bb", "touch", "/x", check=False)
    assert proc.returncode == 1 and "Read-only file system" in proc.stderr


def cap_eff(text):
    return int([line for line in text.splitlines() if line.startswith("CapEff:")][0].split()[1], 16)


def test_cap_add_and_drop(docker):
    CAP_CHOWN, CAP_NET_ADMIN, CAP_NET_RAW = 0, 12, 13
    default = cap_eff(docker.out(*RUN, "bb", "cat", "/proc/self/status"))
    assert default & (1 << CAP_CHOWN) and default & (1 << CAP_NET_RAW) and not default & (1 << CAP_NET_ADMIN)
    changed = docker.out(*RUN, "--cap-drop", "CHOWN", "--cap-add", "NET_ADMIN", "bb", "sh", "-c",
                         "cat /proc/self/status; chown 1 /tmp || echo chown-denied; ip link set lo down && echo down")
    assert cap_eff(changed) == default & ~(1 << CAP_CHOWN) | (1 << CAP_NET_ADMIN)
    assert "chown-denied" in changed and changed.endswith("down")


def test_bind_mounts_rw_and_ro(docker, tmp_path):
    (tmp_path / "f").write_text("data\n")
    assert docker.out(*RUN, "-v", f"{tmp_path}:/v", "bb", "sh", "-c", "cat /v/f; echo w > /v/g") == "data"
    assert (tmp_path / "g").read_text() == "w\n"
    proc = docker(*RUN, "-v", f"{tmp_path}:/v:ro", "bb", "sh", "-c", "echo w > /v/h", check=False)
    assert proc.returncode != 0 and "Read-only file system" in proc.stderr
    assert not (tmp_path / "h").exists()


def test_named_volume_outlives_its_container(docker):
    volume = docker.name()
    try:
        docker(*RUN, "-v", f"{volume}:/data", "bb", "sh", "-c", "echo persist > /data/p")
        assert docker.out(*RUN, "-v", f"{volume}:/data", "bb", "cat", "/data/p") == "persist"
    finally:
        docker("volume", "rm", "-f", volume, check=False)


def test_tmpfs_mount(docker):
    out = docker.out(*RUN, "--tmpfs", "/scratch:size=1m", "bb", "grep", " /scratch ", "/proc/mounts")
    assert out.startswith("tmpfs /scratch tmpfs ") and "size=1024k" in out


def test_network_none_has_only_loopback_up(docker):
    links = docker.out(*RUN, "bb", "ip", "-o", "link").splitlines()
    assert len(links) == 1 and ": lo: <LOOPBACK,UP," in links[0]


def test_network_host_shares_the_host_netns(docker):
    inside = docker.out("run", "--rm", "--pull", "never", "--network", "host", "bb", "readlink", "/proc/self/ns/net")
    assert inside == os.readlink("/proc/self/ns/net")


def test_cgroup_tree_is_the_containers_and_read_only(docker):
    out = docker.out(*RUN, "bb", "sh", "-c", "ls /sys/fs/cgroup/pids; touch /sys/fs/cgroup/x 2>&1; true")
    assert "pids.max" in out and "Read-only file system" in out
