"""connect/disconnect give a running container extra interfaces; `none` and `host` modes."""
import pytest

from ociruntime import network
from ociruntime.errors import NetworkError
from ociruntime.network import networks

from support.network_world import link_names


def test_connect_adds_a_second_interface_and_disconnect_removes_it(world):
    networks.create("my_net2", subnet="177.22.16.0/24", gateway="177.22.16.1")
    pid = world.container()
    record = network.attach("app", pid, {"org.ociruntime.network": "bridge"})
    endpoint = network.connect("my_net2", "app", pid, ip="177.22.16.9")
    assert endpoint["ifname"] == "eth1"
    with world.container_links(pid) as ipr:
        assert link_names(ipr) == {"lo", "eth0", "eth1"}
        eth1 = ipr.link_lookup(ifname="eth1")[0]
        assert [a.get("IFA_ADDRESS") for a in ipr.get_addr(index=eth1, family=2)] == ["177.22.16.9"]
        defaults = [r.get("RTA_GATEWAY") for r in ipr.get_routes(family=2) if r["dst_len"] == 0]
        assert defaults == ["10.88.0.1"]
    assert world.in_container(pid, "ping", "-c", "1", "-W", "2", "177.22.16.1").returncode == 0

    with pytest.raises(NetworkError, match="already connected"):
        network.connect("my_net2", "app", pid)
    network.disconnect("my_net2", "app")
    with world.container_links(pid) as ipr:
        assert link_names(ipr) == {"lo", "eth0"}
    with pytest.raises(NetworkError, match="is not connected"):
        network.disconnect("my_net2", "app")
    network.connect("my_net2", "app", pid)
    network.detach("app", record)  # leaves every network, the connected one included
    with world.container_links(pid) as ipr:
        assert link_names(ipr) == {"lo"}


def test_none_mode_brings_up_only_loopback(world):
    pid = world.container()
    record = network.attach("isolated", pid, {"org.ociruntime.network": "none"})
    assert record == {"mode": "none"}
    with world.container_links(pid) as ipr:
        [lo] = ipr.get_links()
        assert lo.get("IFLA_IFNAME") == "lo" and lo["flags"] & 1
    assert world.in_container(pid, "ping", "-c", "1", "-W", "1", "127.0.0.1").returncode == 0
    network.detach("isolated", record)


def test_host_mode_does_nothing_and_cannot_be_connected(world):
    import os

    assert network.attach("hostnet", os.getpid(), {"org.ociruntime.network": "host"}) == {"mode": "host"}
    with pytest.raises(NetworkError, match="host network namespace"):
        network.connect("bridge", "hostnet", os.getpid())
    network.detach("hostnet", {"mode": "host"})


def test_no_annotation_means_no_networking(world):
    pid = world.container()
    assert not network.wants_network({"org.opencontainers.image.title": "x"})
    assert network.attach("plain", pid, {}) is None
    assert network.attach("plain", pid, None) is None
    with world.container_links(pid) as ipr:
        [lo] = ipr.get_links()
        assert not lo["flags"] & 1
