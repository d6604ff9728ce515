"""A user-defined bridge network: Docker creates the bridge and veths and moves them into the
namespace through its libnetwork-setkey prestart hook, which the runtime runs. dockerd has
--iptables=false, so no firewall rule is made; the network and its bridge are removed here."""
import os

import pytest

pytestmark = pytest.mark.engines

SUBNET, SERVER_IP = "10.213.7.0/24", "10.213.7.10"


def veths():
    return {n for n in os.listdir("/sys/class/net") if n.startswith("veth")}


def test_two_containers_talk_over_a_user_defined_bridge(docker):
    veths_before = veths()
    network = docker.name()
    net_id = docker.out("network", "create", "--subnet", SUBNET, network)
    bridge = f"br-{net_id[:12]}"
    try:
        assert os.path.exists(f"/sys/class/net/{bridge}")
        server = docker.name()
        docker("run", "-d", "--pull", "never", "--name", server, "--network", network, "--ip", SERVER_IP,
               "bb", "sh", "-c", "echo pong | nc -l -p 8080")
        # the prestart hook (libnetwork-setkey) bound the namespace the runtime made to docker's sandbox
        pid, sandbox = docker.out("inspect", "-f", "{{.State.Pid}} {{.NetworkSettings.SandboxKey}}", server).split()
        assert os.stat(sandbox).st_ino == os.stat(f"/proc/{pid}/ns/net").st_ino
        out = docker.out("run", "--rm", "--pull", "never", "--network", network, "bb", "sh", "-c",
                         f"ip -o -4 addr show eth0; for i in $(seq 50); do nc {SERVER_IP} 8080 && break; sleep 0.1; done")
        address, reply = out.splitlines()
        assert " inet 10.213.7." in address and reply == "pong"
    finally:
        docker.cleanup()
        docker("network", "rm", network, check=False)
    assert not os.path.exists(f"/sys/class/net/{bridge}")
    assert veths() <= veths_before
