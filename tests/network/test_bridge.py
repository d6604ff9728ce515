"""Containers on a user network reach each other; the default network works without set-up."""
import ipaddress
import socket
import subprocess

from pyroute2 import IPRoute

from ociruntime import network
from ociruntime.network import networks

MY_NET2 = {"org.ociruntime.network": "my_net2"}


def addresses(ipr, ifname):
    index = ipr.link_lookup(ifname=ifname)[0]
    return {(a.get("IFA_ADDRESS"), a["prefixlen"]) for a in ipr.get_addr(index=index, family=2)}


def test_two_containers_on_my_net2_ping_each_other(world):
    networks.create("my_net2", subnet="177.22.16.0/24", gateway="177.22.16.1")
    first, second = world.container(), world.container()
    record1 = network.attach("first", first, MY_NET2)
    record2 = network.attach("second", second, {**MY_NET2, "org.ociruntime.network.ip": "177.22.16.8"})
    assert record1 == {"mode": "bridge", "network": "my_net2", "ip": "177.22.16.2", "ifname": "eth0", "ports": []}
    assert record2["ip"] == "177.22.16.8"

    with world.container_links(second) as ipr:
        assert addresses(ipr, "eth0") == {("177.22.16.8", 24)}
        assert ipr.get_links(ipr.link_lookup(ifname="lo")[0])[0]["flags"] & 1
        [default] = [r for r in ipr.get_routes(family=2) if r["dst_len"] == 0]
        assert default.get("RTA_GATEWAY") == "177.22.16.1"
    bridge = networks.inspect("my_net2")["bridge"]
    assert bridge.startswith("br-oci-") and len(bridge) == 15
    with IPRoute() as ipr:
        assert addresses(ipr, bridge) == {("177.22.16.1", 24)}
        bridge_index = ipr.link_lookup(ifname=bridge)[0]
        ports = [link.get("IFLA_IFNAME") for link in ipr.get_links() if link.get("IFLA_MASTER") == bridge_index]
        assert sorted(ports) == sorted(networks.inspect("my_net2")["endpoints"][c]["veth"] for c in ("first", "second"))
        assert all(len(name) <= 15 for name in ports)
        # up, and in hairpin mode: a container reaches itself through a published port
        bridged = {link.get("IFLA_IFNAME"): link for link in ipr.get_links(family=socket.AF_BRIDGE)}
        for port in ports:
            assert bridged[port]["flags"] & 1
            assert bridged[port].get_nested("IFLA_PROTINFO", "IFLA_BRPORT_MODE") == 1

    assert world.in_container(first, "ping", "-c", "1", "-W", "2", "177.22.16.8").returncode == 0
    assert world.in_container(second, "ping", "-c", "1", "-W", "2", "177.22.16.2").returncode == 0

    network.detach("first", record1)
    network.detach("second", record2)
    network.detach("second", record2)  # idempotent
    assert world.in_container(second, "ip", "-4", "addr", "show", "eth0").returncode != 0


def test_default_network_exists_without_set_up(world):
    pid = world.container()
    record = network.attach("web", pid, {"org.ociruntime.network": "bridge"})
    default = networks.inspect("bridge")
    assert (default["subnet"], default["gateway"], default["bridge"]) == ("10.88.0.0/16", "10.88.0.1", "oci0")
    assert ipaddress.IPv4Address(record["ip"]) in ipaddress.IPv4Network("10.88.0.0/16")
    assert world.in_container(pid, "ping", "-c", "1", "-W", "2", "10.88.0.1").returncode == 0
    network.detach("web", record)


def test_detach_after_the_container_died(world):
    pid = world.container()
    record = network.attach("doomed", pid, {"org.ociruntime.network": "bridge"})
    world.kill(pid)
    network.detach("doomed", record)
    network.detach("doomed", record)


def test_endpoint_of_a_vanished_container_is_released_on_next_attach(world):
    networks.create("tiny", subnet="10.66.0.0/30")
    pid = world.container()
    network.attach("crashed", pid, {"org.ociruntime.network": "tiny"})
    world.kill(pid)  # no detach: like a crash or a reboot
    successor = world.container()
    record = network.attach("successor", successor, {"org.ociruntime.network": "tiny"})
    assert record["ip"] == "10.66.0.2"
    assert list(networks.inspect("tiny")["endpoints"]) == ["successor"]
    network.detach("successor", record)


def test_state_outlives_a_reboot_of_the_kernel_objects(world):
    """After a reboot the store still has the network, but no bridge, rules or container."""

    networks.create("my_net2", subnet="177.22.16.0/24", gateway="177.22.16.1")
    before_reboot = world.container()
    network.attach("old", before_reboot, MY_NET2)
    world.kill(before_reboot)
    with IPRoute() as ipr:
        ipr.link("del", ifname=networks.inspect("my_net2")["bridge"])
    subprocess.run(["nft", "delete", "table", "ip", "ociruntime"], check=True)

    pid = world.container()
    record = network.attach("new", pid, {**MY_NET2, "org.ociruntime.network.ip": "177.22.16.2"})
    assert list(networks.inspect("my_net2")["endpoints"]) == ["new"]
    assert world.in_container(pid, "ping", "-c", "1", "-W", "2", "177.22.16.1").returncode == 0
    network.detach("new", record)
