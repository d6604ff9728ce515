"""delete and delete --force take down what attach built; the network's bridge and our
nft table go with the last container."""
import json
import time

import pytest

from ociruntime.network.names import host_veth_name, rule_tag_for_endpoint, rule_tag_for_network

from support import network_world

from .conftest import GATEWAY, host_view, on


def wait_stopped(containers, cid, timeout=10):
    deadline = time.monotonic() + timeout
    while containers.runtime.state(cid)["status"] != "stopped":
        assert time.monotonic() < deadline, f"{cid} did not stop"
        time.sleep(0.02)


def tags(view):
    return {comment for _, _, comment in view["nft"]}


def test_delete_removes_veth_address_rules_then_bridge_and_table(containers, my_net2, world):
    network = json.loads(containers.runtime("network", "inspect", my_net2).stdout)
    bridge = network["bridge"]
    stopped = containers.run(on(my_net2, ports="8083:80"))
    running = containers.run(on(my_net2, ports="8084:80"))
    veth = {cid: host_veth_name(network["id"], cid) for cid in (stopped, running)}
    tag = {cid: rule_tag_for_endpoint(network["id"], cid) for cid in (stopped, running)}
    view = host_view(containers)
    assert {bridge, *veth.values()} <= view["links"]
    assert (bridge, GATEWAY) in view["addresses"]
    assert set(tag.values()) <= tags(view)

    containers.runtime("kill", stopped, "KILL")
    wait_stopped(containers, stopped)
    containers.delete(stopped)  # plain delete of a stopped container: its veth died with it
    view = host_view(containers)
    assert veth[stopped] not in view["links"] and tag[stopped] not in tags(view)
    assert view["endpoints"][my_net2] == [running]
    assert bridge in view["links"] and tag[running] in tags(view)
    assert containers.exec(running, "ping", "-c1", "-W2", GATEWAY).returncode == 0

    containers.delete(running, force=True)
    view = host_view(containers)
    assert view["links"] == {"lo", world.host_veth}
    assert (bridge, GATEWAY) not in view["addresses"]
    assert network_world.nft_table() is None and view["nft"] == []
    assert view["endpoints"][my_net2] == []


def test_last_container_of_one_network_keeps_the_others_rules(containers, my_net2):
    on_default = containers.run(on("bridge"))
    on_mine = containers.run(on(my_net2))
    networks = {name: json.loads(containers.runtime("network", "inspect", name).stdout) for name in ("bridge", my_net2)}
    net_tags = {name: rule_tag_for_network(n["id"]) for name, n in networks.items()}
    assert set(net_tags.values()) <= tags(host_view(containers))
    containers.delete(on_mine, force=True)
    view = host_view(containers)
    assert networks[my_net2]["bridge"] not in view["links"] and networks["bridge"]["bridge"] in view["links"]
    assert net_tags[my_net2] not in tags(view) and net_tags["bridge"] in tags(view)
    assert containers.exec(on_default, "ping", "-c1", "-W2", "10.88.0.1").returncode == 0
    containers.delete(on_default, force=True)
    assert network_world.nft_table() is None


@pytest.mark.parametrize("cid", ["_leading-underscore", ".dot+plus", "a" * 120, "b" * 200])
def test_any_id_the_runtime_accepts_gets_a_network_and_gives_it_back(containers, my_net2, cid):
    before = host_view(containers)
    containers.create(on(my_net2, ports="8085:80"), cid=cid)
    assert len(host_view(containers)["nft"]) > len(before["nft"])  # its DNAT and the network's rules
    containers.delete(cid, force=True)
    assert host_view(containers) == before
