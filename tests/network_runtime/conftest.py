"""Real containers (the `ociruntime` CLI on busybox bundles) on bridge networks.

Every test runs in the throwaway world of tests/support/network_world.py: a "host" network
namespace the test (and so every CLI call it makes) runs in, joined by a veth to an
"outside" namespace, with a temp OCIRUNTIME_NETWORK_DIR. The world checks at the end that
no link, nft table or endpoint is left and that the real host's links are unchanged.
"""
import copy
import json
import os
import socket
import subprocess
import tempfile
import uuid

import pytest
from pyroute2 import IPRoute

from ociruntime.network import netns, store

from support import network_world
from support.network_world import HOST_OUTSIDE_IP, OUTSIDE_IP  # noqa: F401 (for the tests)

from ociruntime.network.annotations import IP, NETWORK, PORTS
SUBNET, GATEWAY = "177.22.16.0/24", "177.22.16.1"


def on(network, ip=None, ports=None):
    """The annotations that put a container on `network`."""
    annotations = {NETWORK: network}
    if ip:
        annotations[IP] = ip
    if ports:
        annotations[PORTS] = ports
    return annotations


class Containers:
    """Busybox containers made with the CLI; each gets its own config dir (sharing the
    bundle's rootfs) so every one has its own cgroupsPath and annotations."""

    def __init__(self, runtime, bundle, tmp_path):
        self.runtime = runtime
        self.bundle = bundle
        self.configs = tmp_path / "configs"
        self.configs.mkdir()

    def config_dir(self, cid, args, annotations):
        config = copy.deepcopy(self.bundle.config)
        config["root"]["path"] = self.bundle.rootfs
        config["process"]["args"] = list(args)
        caps = config["process"]["capabilities"]
        for kind in caps:
            caps[kind] = caps[kind] + ["CAP_NET_RAW"]  # busybox ping, as Docker grants by default
        config["linux"]["cgroupsPath"] = f"oci-test-{uuid.uuid4().hex[:8]}"
        config["annotations"] = dict(annotations or {})
        path = self.configs / cid
        path.mkdir()
        with open(path / "config.json", "w") as f:
            json.dump(config, f)
        return str(path)

    def create(self, annotations=None, args=("sleep", "1000"), cid=None, check=True, trace=None):
        """`ociruntime create`; returns (id, finished process). The container inherits the
        command's stdio, so it goes to files: pipes would stay open as long as it lives."""
        cid = cid or "c-" + uuid.uuid4().hex[:10]
        path = self.config_dir(cid, args, annotations)
        options = ["--trace", trace] if trace else []
        with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
            code = subprocess.run(self.runtime.cmd + ["--root", self.runtime.root, *options, "create",
                                                      "--bundle", path, cid],
                                  stdin=subprocess.DEVNULL, stdout=out, stderr=err, timeout=60).returncode
            out.seek(0)
            err.seek(0)
            done = subprocess.CompletedProcess("create", code, out.read(), err.read())
        if check and code != 0:
            raise AssertionError(f"ociruntime create {cid} failed ({code}): {done.stderr}")
        return cid, done

    def run(self, annotations=None, args=("sleep", "1000")):
        """A created and started container; its id."""
        cid, _ = self.create(annotations, args)
        self.runtime("start", cid)
        return cid

    def pid(self, cid):
        return self.runtime.state(cid)["pid"]

    def exec(self, cid, *argv):
        return self.runtime("exec", cid, *argv, check=False, timeout=20)

    def netns_inode(self, cid):
        return netns.netns_inode(self.pid(cid))

    def delete(self, cid, force=False):
        self.runtime("delete", *(["--force"] if force else []), cid)


@pytest.fixture
def containers(world, runtime, bundle, tmp_path):
    """Asks for `world` first, so containers are deleted (runtime's teardown) while the
    world still exists and its clean-up check comes last."""
    return Containers(runtime, bundle, tmp_path)


@pytest.fixture
def my_net2(containers):
    containers.runtime("network", "create", "--subnet", SUBNET, "--gateway", GATEWAY, "my_net2")
    return "my_net2"


def nft_rules():
    """(chain, rule text) of every rule in our table, as the kernel lists them."""
    rules = [o["rule"] for o in network_world.nft_table() or [] if "rule" in o]
    return sorted((r["chain"], json.dumps(r["expr"], sort_keys=True), r.get("comment", "")) for r in rules)


def host_view(containers):
    """What the "host" holds for containers: links, IPv4 addresses, nft rules, endpoints,
    state dirs and processes running from the bundle's rootfs."""
    with IPRoute() as ipr:
        links = {link["index"]: link.get_attr("IFLA_IFNAME") for link in ipr.get_links()}
        addresses = {(links[a["index"]], a.get_attr("IFA_ADDRESS")) for a in ipr.get_addr(family=socket.AF_INET)}
    root = containers.runtime.root
    return {
        "links": set(links.values()),
        "addresses": addresses,
        "nft": nft_rules(),
        "endpoints": {n["name"]: sorted(n["endpoints"]) for n in store.load_all()},
        "state dirs": sorted(os.listdir(root)) if os.path.isdir(root) else [],
        "processes": processes_rooted_at(containers.bundle.rootfs),
    }


def processes_rooted_at(rootfs):
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if os.readlink(f"/proc/{pid}/root") == rootfs:
                found.append(int(pid))
        except OSError:
            continue
    return sorted(found)
