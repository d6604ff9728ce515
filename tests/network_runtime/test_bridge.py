"""Real containers on a user-defined bridge network: addresses, routing between them,
published ports, masquerade, a second interface, and the `none`/`host` modes."""
import json
import os
import socket
import threading
import time

import pytest

from ociruntime.network import netns

from .conftest import GATEWAY, HOST_OUTSIDE_IP, OUTSIDE_IP, on

IFF_UP = 0x1


def addresses_inside(containers, cid):
    """{ifname: [cidr...]} as the container's own `ip -o -4 addr` shows them."""
    out = containers.exec(cid, "ip", "-o", "-4", "addr")
    assert out.returncode == 0, out.stderr
    found = {}
    for line in out.stdout.splitlines():
        fields = line.split()
        found.setdefault(fields[1], []).append(fields[3])
    return found


def test_two_containers_on_my_net2_ping_each_other(containers, my_net2):
    fixed = containers.run(on(my_net2, ip="177.22.16.8"))
    other = containers.run(on(my_net2))
    assert addresses_inside(containers, fixed) == {"lo": ["127.0.0.1/8"], "eth0": ["177.22.16.8/24"]}
    other_ip = addresses_inside(containers, other)["eth0"][0].split("/")[0]
    assert other_ip == "177.22.16.2"
    route = containers.exec(other, "ip", "route")
    assert f"default via {GATEWAY} dev eth0" in route.stdout
    for source, target in ((fixed, other_ip), (other, "177.22.16.8"), (fixed, GATEWAY)):
        ping = containers.exec(source, "ping", "-c1", "-W2", target)
        assert ping.returncode == 0 and "1 packets received" in ping.stdout, ping.stdout + ping.stderr
    endpoints = json.loads(containers.runtime("network", "inspect", my_net2).stdout)["endpoints"]
    assert {cid: ep["ip"] for cid, ep in endpoints.items()} == {fixed: "177.22.16.8", other: other_ip}
    containers.delete(fixed, force=True)
    containers.delete(other, force=True)


def http_get(port, ip="127.0.0.1", netns_fd=None, timeout=10):
    """GET / from ip:port (from inside `netns_fd` if given), retrying until the server listens."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket_in(netns_fd) as sock:
                sock.settimeout(2)
                sock.connect((ip, port))
                sock.sendall(b"GET / HTTP/1.0\r\n\r\n")
                return b"".join(iter(lambda: sock.recv(4096), b"")).decode()
        except (ConnectionRefusedError, socket.timeout):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def socket_in(netns_fd, kind=socket.SOCK_STREAM):
    """A TCP socket that lives in `netns_fd` (None: this thread's namespace)."""
    if netns_fd is None:
        return socket.socket(socket.AF_INET, kind)
    with netns.entered(netns_fd):
        return socket.socket(socket.AF_INET, kind)


def test_published_port_answers_on_localhost_and_from_outside(containers, my_net2, world):
    www = os.path.join(containers.bundle.rootfs, "www")
    os.makedirs(www)
    with open(os.path.join(www, "index.html"), "w") as f:
        f.write("hello from the container\n")
    cid = containers.run(on(my_net2, ports="8082:8080"), args=("httpd", "-f", "-p", "8080", "-h", "/www"))
    local = http_get(8082)
    assert local.startswith("HTTP/1.") and " 200 " in local.splitlines()[0]
    assert local.endswith("hello from the container\n")
    remote = http_get(8082, ip=HOST_OUTSIDE_IP, netns_fd=world.outside_fd)
    assert remote.endswith("hello from the container\n")
    with pytest.raises(ConnectionRefusedError):
        http_get(8080, timeout=0)  # only the published port, not the container's own
    containers.delete(cid, force=True)
    with pytest.raises(ConnectionRefusedError):
        http_get(8082, timeout=0)


def test_traffic_to_the_outside_arrives_from_the_hosts_address(containers, my_net2, world):
    cid = containers.run(on(my_net2))
    with socket_in(world.outside_fd) as server:
        server.bind((OUTSIDE_IP, 9000))
        server.listen(1)
        server.settimeout(10)
        client = threading.Thread(target=containers.exec, args=(cid, "sh", "-c", f"echo hi | nc {OUTSIDE_IP} 9000"))
        client.start()
        try:
            conn, (peer_ip, _) = server.accept()
            with conn:
                conn.settimeout(5)
                assert conn.recv(16) == b"hi\n"
        finally:
            client.join()
    assert peer_ip == HOST_OUTSIDE_IP  # masqueraded: not the container's 177.22.16.2
    containers.delete(cid, force=True)


def test_network_connect_gives_a_running_container_another_interface(containers, my_net2):
    on_default = containers.run(on("bridge"))
    unnetworked = containers.run()
    peer = containers.run(on(my_net2, ip="177.22.16.8"))
    containers.runtime("network", "connect", my_net2, on_default)
    containers.runtime("network", "connect", "--ip", "177.22.16.9", my_net2, unnetworked)
    assert addresses_inside(containers, on_default) == {
        "lo": ["127.0.0.1/8"], "eth0": ["10.88.0.2/16"], "eth1": ["177.22.16.2/24"]}
    assert addresses_inside(containers, unnetworked) == {"lo": ["127.0.0.1/8"], "eth0": ["177.22.16.9/24"]}
    assert containers.exec(on_default, "ls", "/sys/class/net").stdout.split() == ["eth0", "eth1", "lo"]
    assert "default via 10.88.0.1 dev eth0" in containers.exec(on_default, "ip", "route").stdout
    for source in (on_default, unnetworked):
        assert containers.exec(source, "ping", "-c1", "-W2", "177.22.16.8").returncode == 0
    containers.runtime("network", "disconnect", my_net2, on_default)
    assert containers.exec(on_default, "ls", "/sys/class/net").stdout.split() == ["eth0", "lo"]
    for cid in (on_default, unnetworked, peer):
        containers.delete(cid, force=True)  # the world checks that nothing is left


def links_up(world, pid):
    """{ifname: administratively up?} as the kernel lists the links of pid's namespace."""
    with world.container_links(pid) as ipr:
        return {link.get("IFLA_IFNAME"): bool(link["flags"] & IFF_UP) for link in ipr.get_links()}


def test_none_gives_only_loopback_up(containers, world):
    cid = containers.run(on("none"))
    assert links_up(world, containers.pid(cid)) == {"lo": True}
    assert containers.exec(cid, "ls", "/sys/class/net").stdout.split() == ["lo"]
    assert addresses_inside(containers, cid) == {"lo": ["127.0.0.1/8"]}
    assert containers.exec(cid, "ping", "-c1", "-W1", "127.0.0.1").returncode == 0
    containers.delete(cid, force=True)


def test_host_shares_the_test_hosts_namespace(containers, world):
    cid = containers.run(on("host"))
    ours = os.stat("/proc/thread-self/ns/net").st_ino
    assert ours == os.fstat(world.host_fd).st_ino
    assert containers.netns_inode(cid) == ours
    assert f"{HOST_OUTSIDE_IP}/24" in addresses_inside(containers, cid)[world.host_veth]
    containers.delete(cid, force=True)


def test_run_with_ping_as_the_command_then_nothing_is_left(containers, my_net2):
    target = containers.run(on(my_net2, ip="177.22.16.8"))
    path = containers.config_dir("pinger", ("ping", "-c1", "-W2", "177.22.16.8"), on(my_net2))
    done = containers.runtime("run", "--bundle", path, "pinger")  # foreground: waits, then deletes
    assert "1 packets received" in done.stdout
    endpoints = json.loads(containers.runtime("network", "inspect", my_net2).stdout)["endpoints"]
    assert list(endpoints) == [target]
    containers.delete(target, force=True)
