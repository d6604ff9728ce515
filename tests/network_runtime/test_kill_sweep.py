"""The kill sweep (tests/reliability/sweep.py) on a bridge-networked container: SIGKILL
in create (between any two steps of its network join too, by delay) and in delete; one
`delete --force` afterwards leaves no veth, address, nft rule or endpoint either. Issue 14."""
import json
import os

import pytest

from reliability.sweep import Sweep

from .conftest import host_view, on


@pytest.fixture
def networked(containers, my_net2):
    cid = "k-net"
    path = containers.config_dir(cid, ("sleep", "1000"), on(my_net2, ports="8086:80"))
    with open(os.path.join(path, "config.json")) as f:
        cgroups_path = json.load(f)["linux"]["cgroupsPath"]
    before = host_view(containers)

    def network_leftovers():
        now = host_view(containers)
        return {f"network {kind}": (before[kind], now[kind]) for kind in ("links", "addresses", "nft", "endpoints")
                if now[kind] != before[kind]}

    def make(setup, command):
        return Sweep(containers.runtime, cid, cgroups_path, containers.bundle.path, setup, command,
                     extra_check=network_leftovers)
    make.create = ["create", "--bundle", path, cid]
    make.cid = cid
    return make


def check(s, phases, at_least):
    print(s.report())
    assert not s.failures, s.report()
    assert len(phases) >= at_least and s.points >= len(phases), s.report()


def test_kill_during_create_on_a_bridge_network(networked):
    s = networked([], networked.create)
    check(s, s.run(delays=8, inside="network", inside_delays=8), at_least=10)


def test_kill_during_delete_on_a_bridge_network(networked):
    s = networked([networked.create, ["start", networked.cid]], ["delete", "--force", networked.cid])
    check(s, s.run(), at_least=4)


@pytest.mark.parametrize("networked_at", ["create", "connect"])
def test_damaged_state_of_a_networked_container(containers, my_net2, networked_at):
    """delete --force frees the endpoints from recovery.json, whether create attached
    them or a later `network connect` did."""
    before = host_view(containers)
    cid = containers.run(on(my_net2, ports="8087:80") if networked_at == "create" else None)
    if networked_at == "connect":
        containers.runtime("network", "connect", my_net2, cid)
    assert host_view(containers)["endpoints"][my_net2] == [cid]
    with open(os.path.join(containers.runtime.root, cid, "state.json"), "w") as f:
        f.write("garbage")
    containers.delete(cid, force=True)
    assert host_view(containers) == before
