"""A throwaway world per test: a "host" network namespace the test runs in, and an
"outside" namespace joined to it by a veth. Nothing touches the real host network.

    outside ns  192.0.2.2/24 (oci-t-o…) <—veth—> (oci-t-h…) 192.0.2.1/24  host ns
                                                                   └ bridges, containers
"""
import json
import os
import secrets
import subprocess
import time

import pytest
from pyroute2 import IPRoute

from ociruntime.network import netns, store

HOST_OUTSIDE_IP = "192.0.2.1"
OUTSIDE_IP = "192.0.2.2"
BUSYBOX = "/bin/busybox"


def nft_table():
    """The objects of our nftables table as the `nft` tool lists them (JSON), None without it:
    observed with the kernel's own tool, not through the runtime's libnftables calls."""
    out = subprocess.run(["nft", "-j", "-a", "list", "table", "ip", "ociruntime"], capture_output=True, text=True)
    return json.loads(out.stdout)["nftables"] if out.returncode == 0 else None


def link_names(ipr):
    return {link.get("IFLA_IFNAME") for link in ipr.get_links()}


def netns_link_names(netns_fd):
    with netns.entered(netns_fd):
        ipr = IPRoute()
    with ipr:
        return link_names(ipr)


class World:
    def __init__(self, tag):
        self.host_name = f"oci-test-host-{tag}"
        self.outside_name = f"oci-test-out-{tag}"
        self.host_veth = f"oci-t-h{tag}"
        self.outside_veth = f"oci-t-o{tag}"
        self.processes = []

    def build(self):
        for name in (self.host_name, self.outside_name):
            subprocess.run(["ip", "netns", "add", name], check=True)
        self.host_fd = os.open(f"/run/netns/{self.host_name}", os.O_RDONLY)
        self.outside_fd = os.open(f"/run/netns/{self.outside_name}", os.O_RDONLY)
        commands = [
            ["ip", "link", "add", self.host_veth, "netns", self.host_name, "type", "veth",
             "peer", "name", self.outside_veth, "netns", self.outside_name],
            ["ip", "-n", self.host_name, "addr", "add", f"{HOST_OUTSIDE_IP}/24", "dev", self.host_veth],
            ["ip", "-n", self.outside_name, "addr", "add", f"{OUTSIDE_IP}/24", "dev", self.outside_veth],
        ]
        for ns, dev in ((self.host_name, self.host_veth), (self.outside_name, self.outside_veth)):
            commands += [["ip", "-n", ns, "link", "set", dev, "up"], ["ip", "-n", ns, "link", "set", "lo", "up"]]
        for command in commands:
            subprocess.run(command, check=True)

    def container(self, *argv):
        """A stand-in container: busybox in its own network namespace; returns its pid."""
        process = subprocess.Popen(["unshare", "-n", BUSYBOX, *(argv or ("sleep", "1000"))])
        self.processes.append(process)
        ours = os.stat("/proc/thread-self/ns/net").st_ino
        deadline = time.monotonic() + 5
        while netns.netns_inode(process.pid) in (ours, None) and time.monotonic() < deadline:
            time.sleep(0.005)
        return process.pid

    def kill(self, pid):
        for process in self.processes:
            if process.pid == pid:
                process.kill()
                process.wait()

    def in_container(self, pid, *argv, timeout=10):
        return subprocess.run(["nsenter", "-t", str(pid), "-n", BUSYBOX, *argv],
                              capture_output=True, text=True, timeout=timeout)

    def container_links(self, pid):
        fd = netns.open_netns(pid)
        try:
            with netns.entered(fd):
                ipr = IPRoute()
        finally:
            os.close(fd)
        return ipr

    def leftovers(self):
        """What our code left in the host namespace beyond the world itself."""
        with IPRoute() as ipr:
            links = link_names(ipr) - {"lo", self.host_veth}
        endpoints = {n["name"]: sorted(n["endpoints"]) for n in store.load_all() if n["endpoints"]}
        return {"links": links, "nft_table": nft_table() is not None, "endpoints": endpoints}

    def destroy(self):
        for process in self.processes:
            process.kill()
            process.wait()
        os.close(self.host_fd)
        os.close(self.outside_fd)
        for name in (self.host_name, self.outside_name):
            subprocess.run(["ip", "netns", "del", name], check=True)


CLEAN = {"links": set(), "nft_table": False, "endpoints": {}}


@pytest.fixture
def world(tmp_path, monkeypatch):
    monkeypatch.setenv(store.DIR_ENV, str(tmp_path / "networks"))
    world = World(secrets.token_hex(3))
    with IPRoute() as ipr:
        real_links_before = link_names(ipr)
    world.build()
    try:
        with netns.entered(world.host_fd):
            yield world
            left = world.leftovers()
    finally:
        world.destroy()
    with IPRoute() as ipr:
        assert link_names(ipr) == real_links_before, "the real host's links changed"
    assert not os.path.exists(f"/run/netns/{world.host_name}")
    assert not os.path.exists(f"/run/netns/{world.outside_name}")
    assert left == CLEAN, f"test left state behind: {left}"
