"""Bad network requests through `ociruntime create` and `ociruntime network`: one clear
line, a failing exit code, and nothing left behind (no veth, address, rule, state, process)."""
import json

import pytest

from .conftest import GATEWAY, SUBNET, host_view, on


def assert_one_line_failure(done, expected):
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0], done.stderr


@pytest.mark.parametrize("annotations, expected", [
    (on("nosuch"), "network 'nosuch' not found"),
    (on("my_net2", ip="10.1.2.3"), "address 10.1.2.3 is outside subnet 177.22.16.0/24 of network 'my_net2'"),
    (on("my_net2", ip="177.22.16.8"), "address 177.22.16.8 is already in use on network 'my_net2'"),
    (on("my_net2", ip=GATEWAY), f"address {GATEWAY} is already in use on network 'my_net2'"),
    (on("my_net2", ip="177.22.16.300"), "'177.22.16.300' is not an IPv4 address"),
    (on("my_net2", ports="8082:http"), "invalid port spec '8082:http'"),
    (on("my_net2", ports="70000:80"), "'70000' is not a port number"),
    (on("my_net2", ports="8082:80/sctp"), "invalid port spec '8082:80/sctp'"),
    (on("my_net2", ports="9090:80"), "port 0.0.0.0:9090/tcp is already published by container"),
    (on("none", ip="177.22.16.9"), "network mode 'none' takes no org.ociruntime.network.ip"),
])
def test_refused_create_leaves_nothing(containers, my_net2, annotations, expected):
    holder = containers.run(on(my_net2, ip="177.22.16.8", ports="9090:80"))
    before = host_view(containers)
    cid, done = containers.create(annotations, check=False)
    assert_one_line_failure(done, expected)
    assert host_view(containers) == before
    ping = containers.exec(holder, "ping", "-c1", "-W2", GATEWAY)  # the rollback spared the holder
    assert ping.returncode == 0, ping.stdout + ping.stderr
    containers.delete(holder, force=True)


def test_refused_first_container_leaves_no_bridge_or_table(containers, my_net2):
    before = host_view(containers)
    _, done = containers.create(on(my_net2, ports="1:2:3"), check=False)
    assert_one_line_failure(done, "'1' is not an IPv4 address")
    assert host_view(containers) == before and before["nft"] == []


def test_network_rm_is_refused_while_a_container_is_attached(containers, my_net2):
    cid = containers.run(on(my_net2))
    done = containers.runtime("network", "rm", my_net2, check=False)
    assert_one_line_failure(done, f"network 'my_net2' has attached containers: {cid}")
    containers.delete(cid, force=True)
    assert containers.runtime("network", "rm", my_net2).stdout == "my_net2\n"
    assert_one_line_failure(containers.runtime("network", "inspect", my_net2, check=False),
                            "network 'my_net2' not found")


@pytest.mark.parametrize("argv, expected", [
    (["--subnet", "177.22.0.0/16"], "subnet 177.22.0.0/16 overlaps subnet 177.22.16.0/24 of network 'my_net2'"),
    (["--subnet", "10.88.5.0/24"], "subnet 10.88.5.0/24 overlaps subnet 10.88.0.0/16 of network 'bridge'"),
    (["--subnet", "177.23.0.0/24", "--gateway", GATEWAY], f"gateway {GATEWAY} is outside subnet 177.23.0.0/24"),
    (["--subnet", "177.23.0.0/24", "--gateway", "177.23.0.255"], "gateway 177.23.0.255 is outside subnet"),
    (["--subnet", "177.23.0.1/24"], "invalid subnet '177.23.0.1/24'"),
])
def test_network_create_refuses_bad_addresses(containers, my_net2, argv, expected):
    listing = containers.runtime("network", "ls").stdout
    assert_one_line_failure(containers.runtime("network", "create", *argv, "other", check=False), expected)
    assert containers.runtime("network", "ls").stdout == listing
    assert json.loads(containers.runtime("network", "inspect", my_net2).stdout)["subnet"] == SUBNET


def test_failure_after_attach_rolls_the_network_back(containers, my_net2):
    """A prestart hook fails after the network is attached: create undoes the attach."""
    before = host_view(containers)
    containers.bundle.config["hooks"] = {"prestart": [{"path": "/bin/false"}]}
    _, done = containers.create(on(my_net2, ip="177.22.16.8", ports="8086:80"), check=False)
    assert done.returncode != 0 and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert host_view(containers) == before


def test_network_annotation_without_own_network_namespace_is_refused(containers, my_net2):
    before = host_view(containers)
    linux = containers.bundle.config["linux"]
    linux["namespaces"] = [n for n in linux["namespaces"] if n["type"] != "network"]
    _, done = containers.create(on(my_net2), check=False)
    assert_one_line_failure(done, "org.ociruntime.network needs a new network namespace")
    assert host_view(containers) == before
