"""Published ports answer on the host's loopback and outside addresses; traffic leaving a
container is masqueraded to the host's address."""
import socket
import subprocess

import pytest

from ociruntime import network
from ociruntime.errors import NetworkError
from ociruntime.network import netns
from ociruntime.network.ports import parse_ports

from support.network_world import BUSYBOX, HOST_OUTSIDE_IP, OUTSIDE_IP


def http_get(address, port, netns_fd=None):
    if netns_fd is None:
        sock = socket.socket()
    else:
        with netns.entered(netns_fd):
            sock = socket.socket()
    with sock:
        sock.settimeout(5)
        sock.connect((address, port))
        sock.sendall(b"GET /index.html HTTP/1.0\r\n\r\n")
        return b"".join(iter(lambda: sock.recv(4096), b"")).decode()


def start_httpd(world, tmp_path, ports):
    (tmp_path / "index.html").write_text("hello from the container\n")
    pid = world.container("httpd", "-f", "-p", "8080", "-h", str(tmp_path))
    record = network.attach("web", pid, {"org.ociruntime.network": "bridge", "org.ociruntime.network.ports": ports})
    return pid, record


def test_published_port_answers_on_localhost_and_outside_address(world, tmp_path):
    pid, record = start_httpd(world, tmp_path, "8082:8080")
    assert record["ports"] == [{"host_ip": None, "host_port": 8082, "container_port": 8080, "proto": "tcp"}]
    assert "hello from the container" in http_get("127.0.0.1", 8082)
    assert "hello from the container" in http_get(HOST_OUTSIDE_IP, 8082, netns_fd=world.outside_fd)
    network.detach("web", record)
    with pytest.raises(ConnectionRefusedError):
        http_get("127.0.0.1", 8082)


def test_port_bound_to_one_host_ip_answers_only_there(world, tmp_path):
    _, record = start_httpd(world, tmp_path, "127.0.0.1:8083:8080/tcp")
    assert "hello from the container" in http_get("127.0.0.1", 8083)
    with pytest.raises(ConnectionRefusedError):
        http_get(HOST_OUTSIDE_IP, 8083, netns_fd=world.outside_fd)
    network.detach("web", record)


def test_a_host_port_is_published_once(world, tmp_path):
    _, record = start_httpd(world, tmp_path, "8082:8080")
    other = world.container()
    with pytest.raises(NetworkError, match="already published by container web"):
        network.attach("other", other, {"org.ociruntime.network": "bridge", "org.ociruntime.network.ports": "8082:80"})
    network.detach("web", record)


def test_outbound_traffic_is_masqueraded_to_the_host_address(world):
    with netns.entered(world.outside_fd):
        listener = socket.socket()
    with listener:
        listener.bind((OUTSIDE_IP, 9000))
        listener.listen(1)
        listener.settimeout(5)
        pid = world.container()
        record = network.attach("client", pid, {"org.ociruntime.network": "bridge"})
        sender = subprocess.Popen(["nsenter", "-t", str(pid), "-n", BUSYBOX, "sh", "-c",
                                   f"echo hi | {BUSYBOX} nc {OUTSIDE_IP} 9000"])
        try:
            peer, (peer_ip, _) = listener.accept()
            with peer:
                assert peer.recv(16) == b"hi\n"
        finally:
            assert sender.wait(timeout=10) == 0
        assert peer_ip == HOST_OUTSIDE_IP
        assert record["ip"] != HOST_OUTSIDE_IP
    network.detach("client", record)


def test_port_specs_with_host_ip_protocol_and_lists():
    assert parse_ports("127.0.0.1:5353:53/udp, 8080:80") == [
        {"host_ip": "127.0.0.1", "host_port": 5353, "container_port": 53, "proto": "udp"},
        {"host_ip": None, "host_port": 8080, "container_port": 80, "proto": "tcp"},
    ]
