"""Docker, podman and containerd's runc shim with their own defaults on a systemd + pure cgroup
v2 host, ociruntime as the runtime: each engine hands it --systemd-cgroup and a
"slice:prefix:name" cgroupsPath. Observed through systemd and the cgroup files."""
import os
import urllib.request
import uuid

import pytest
from support import wait_for

from .conftest import CALLS, CGROUP2, IMAGE, WRAPPER, sh, show, unit_gone

pytestmark = pytest.mark.systemd
RUN = ["run", "--pull", "never", "--network", "none"]


def read(path):
    with open(path) as f:
        return f.read().strip()


def name():
    return f"oci-test-{uuid.uuid4().hex[:10]}"


def test_docker_picks_the_systemd_driver_and_runs_on_ociruntime(engines):
    info = sh("docker", "info", "--format", "{{.CgroupDriver}} {{.CgroupVersion}} {{.DefaultRuntime}}").stdout.split()
    assert info == ["systemd", "2", "ociruntime"]
    assert sh("docker", *RUN, "--rm", IMAGE, "echo", "hi").stdout == "hi\n"
    assert sh("docker", *RUN, "--rm", "-m", "64m", IMAGE, "cat", "/sys/fs/cgroup/memory.max").stdout == f"{64 << 20}\n"
    with open(CALLS) as f:
        calls = f.read()
    assert "--systemd-cgroup create" in calls.replace("--log-format json ", "")


def test_docker_detached_container_is_a_scope(engines):
    cname = name()
    cid = sh("docker", *RUN, "-d", "--name", cname, IMAGE, "sleep", "1000").stdout.strip()
    unit = f"docker-{cid}.scope"
    cgdir = f"{CGROUP2}/system.slice/{unit}"
    try:
        props = show(unit, "ActiveState", "Delegate", "Slice")
        assert props == {"ActiveState": "active", "Delegate": "yes", "Slice": "system.slice"}
        pid = sh("docker", "inspect", "--format", "{{.State.Pid}}", cname).stdout.strip()
        assert read(f"/proc/{pid}/cgroup") == f"0::/system.slice/{unit}"
        assert sh("docker", "exec", cname, "echo", "exec-ok").stdout == "exec-ok\n"
        sh("docker", "update", "--pids-limit", "50", cname)
        assert read(f"{cgdir}/pids.max") == "50" and show(unit, "TasksMax")["TasksMax"] == "50"
        sh("docker", "pause", cname)
        assert read(f"{cgdir}/cgroup.freeze") == "1"
        assert sh("docker", "inspect", "--format", "{{.State.Status}}", cname).stdout.strip() == "paused"
        sh("docker", "unpause", cname)
        assert read(f"{cgdir}/cgroup.freeze") == "0"
    finally:
        sh("docker", "rm", "-f", cname)
    assert unit_gone(unit) and not os.path.exists(cgdir)


def test_ctr_with_the_systemd_cgroup_option(engines):
    """As kubelet configures containerd (runc shim, SystemdCgroup = true): run, exec, kill, delete."""
    cname = name()
    ctr = ["ctr", "-n", "oci-test"]
    sh(*ctr, "run", "-d", "--runtime", "io.containerd.runc.v2", "--runc-binary", WRAPPER, "--runc-systemd-cgroup",
       "--cgroup", f"system.slice:cri-containerd:{cname}", "--rootfs", engines, cname, "sleep", "1000")  # rootfs as image
    unit = f"cri-containerd-{cname}.scope"
    try:
        pid = [line.split()[1] for line in sh(*ctr, "task", "ls").stdout.splitlines() if line.startswith(cname)][0]
        assert read(f"/proc/{pid}/cgroup") == f"0::/system.slice/{unit}"
        assert show(unit, "ActiveState")["ActiveState"] == "active"
        assert sh(*ctr, "task", "exec", "--exec-id", "e1", cname, "echo", "exec-ok").stdout == "exec-ok\n"
        sh(*ctr, "task", "kill", "-s", "SIGKILL", cname)
        sh(*ctr, "task", "rm", "-f", cname)
    finally:
        sh(*ctr, "task", "rm", "-f", cname, check=False)
        sh(*ctr, "container", "rm", cname, check=False)
    assert unit_gone(unit) and not os.path.exists(f"{CGROUP2}/system.slice/{unit}")


def test_podman_with_its_defaults(engines):
    assert sh("podman", "info", "--format", "{{.Host.CgroupManager}}").stdout.strip() == "systemd"
    rootfs = ["--rootfs", engines]  # the first argument is then the rootfs, not an image
    assert sh("podman", "run", "--rm", *rootfs, "echo", "hi").stdout == "hi\n"
    memory_max = sh("podman", "run", "--rm", "-m", "64m", *rootfs, "cat", "/sys/fs/cgroup/memory.max").stdout
    assert memory_max == f"{64 << 20}\n"
    cid = sh("podman", "run", "-d", *rootfs, "sleep", "1000").stdout.strip()
    unit = f"libpod-{cid}.scope"
    try:
        assert show(unit, "ActiveState", "Slice") == {"ActiveState": "active", "Slice": "machine.slice"}
    finally:
        sh("podman", "rm", "-f", "-t", "0", cid)
    assert unit_gone(unit)


def test_docker_and_podman_confine_their_containers_with_apparmor(engines):
    """Where the kernel's AppArmor is on (Debian's default), both engines name a profile of
    their own in the config and in every exec'd process; the kernel then enforces it."""
    try:
        aa_on = read("/sys/module/apparmor/parameters/enabled") == "Y"
    except OSError:
        aa_on = False
    if not aa_on:
        pytest.skip("AppArmor is off in this kernel")
    probe = "cat /proc/self/attr/current; cat /proc/sysrq-trigger 2>&1 >/dev/null"  # both profiles deny sysrq-trigger
    docker = sh("docker", *RUN, "--rm", IMAGE, "sh", "-c", probe, check=False).stdout.splitlines()
    assert docker[0] == "docker-default (enforce)" and "Permission denied" in docker[1], docker
    cname = name()
    sh("docker", *RUN, "-d", "--name", cname, IMAGE, "sleep", "1000")
    try:
        assert sh("docker", "exec", cname, "cat", "/proc/self/attr/current").stdout == "docker-default (enforce)\n"
    finally:
        sh("docker", "rm", "-f", cname)
    podman = sh("podman", "run", "--rm", "--rootfs", engines, "sh", "-c", probe, check=False).stdout.splitlines()
    assert podman[0].startswith("containers-default-") and podman[0].endswith(" (enforce)"), podman
    assert "Permission denied" in podman[1], podman


def fetch(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as reply:
            return reply.read().decode()
    except OSError:
        return ""


def test_docker_publishes_a_port_and_joins_user_networks(engines, tmp_path):
    """Docker's own networking with its defaults (bridge, iptables, docker-proxy) in the VM's
    kernel: -p to a server in a container, a user network with --subnet and --ip, and
    network connect, as a user's `docker run` has them on a systemd host."""
    www = tmp_path / "www"
    www.mkdir()
    (www / "index.html").write_text("hello from ociruntime\n")
    web, member, net = name(), name(), name()
    try:
        sh("docker", "run", "--pull", "never", "-d", "--name", web, "-p", "127.0.0.1:18080:80", "-v", f"{www}:/www:ro",
           IMAGE, "httpd", "-f", "-p", "80", "-h", "/www")
        assert wait_for(lambda: fetch("http://127.0.0.1:18080/"), timeout=120, what="the published port") == \
            "hello from ociruntime\n"
        sh("docker", "network", "create", "--subnet", "172.30.0.0/24", net)
        sh("docker", "run", "--pull", "never", "-d", "--name", member, "--network", net, "--ip", "172.30.0.10",
           IMAGE, "sleep", "1000")
        sh("docker", "run", "--pull", "never", "--rm", "--network", net, IMAGE, "ping", "-c", "1", "-W", "10",
           "172.30.0.10")
        sh("docker", "network", "connect", "bridge", member)
        addrs = sh("docker", "exec", member, "ip", "-4", "-o", "addr").stdout.split("\n")
        assert [line.split()[3] for line in addrs if " eth0 " in line] == ["172.30.0.10/24"], addrs
        assert [line for line in addrs if " eth1 " in line], addrs  # the default bridge, connected live
    finally:
        sh("docker", "rm", "-f", web, member, check=False)
        sh("docker", "network", "rm", net, check=False)
