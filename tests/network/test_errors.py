"""Bad requests fail with one clear line and leave no veth, address, rule or state behind."""
import os
import re

import pytest

from ociruntime import network
from ociruntime.errors import ConfigError, InvalidArgument, NetworkError
from ociruntime.network import networks

from support.network_world import link_names

NET = "org.ociruntime.network"


@pytest.fixture
def resident(world):
    """my_net2 with one container already on it (holding .8 and port 8082), so failures are
    checked against a live bridge and rule set, which must stay exactly as they were."""
    networks.create("my_net2", subnet="177.22.16.0/24", gateway="177.22.16.1")
    networks.create("tiny", subnet="10.66.0.0/30")
    pid = world.container()
    record = network.attach("resident", pid, {NET: "my_net2", f"{NET}.ip": "177.22.16.8", f"{NET}.ports": "8082:80"})
    before = (world.leftovers(), {n["name"]: n for n in networks.list_networks()})
    yield world
    assert (world.leftovers(), {n["name"]: n for n in networks.list_networks()}) == before
    network.detach("resident", record)


CREATE_ERRORS = [
    ({"name": "overlap", "subnet": "177.22.0.0/16"}, "overlaps subnet 177.22.16.0/24 of network 'my_net2'", NetworkError),
    ({"name": "overlap-default", "subnet": "10.88.5.0/24"}, "overlaps subnet 10.88.0.0/16 of network 'bridge'", NetworkError),
    ({"name": "gw", "subnet": "10.70.0.0/24", "gateway": "10.71.0.1"}, "gateway 10.71.0.1 is outside subnet 10.70.0.0/24", InvalidArgument),
    ({"name": "range", "subnet": "10.70.0.0/24", "ip_range": "10.70.1.0/28"}, "ip-range 10.70.1.0/28 is outside subnet", InvalidArgument),
    ({"name": "badnet", "subnet": "10.70.0.1/24"}, "invalid subnet '10.70.0.1/24'", InvalidArgument),
    ({"name": "my_net2", "subnet": "10.70.0.0/24"}, "network 'my_net2' already exists", NetworkError),
    ({"name": "bad/name"}, "invalid network name", InvalidArgument),
    ({"name": "vx", "driver": "overlay"}, "unsupported network driver 'overlay'", InvalidArgument),
]


@pytest.mark.parametrize("arguments, message, kind", CREATE_ERRORS, ids=[a["name"] for a, _, _ in CREATE_ERRORS])
def test_create_errors(resident, arguments, message, kind):
    with pytest.raises(kind, match=re.escape(message)) as caught:
        networks.create(**arguments)
    assert "\n" not in str(caught.value)


ATTACH_ERRORS = [
    ({NET: "nope"}, "network 'nope' not found", NetworkError),
    ({NET: "my_net2", f"{NET}.ip": "177.22.17.5"}, "address 177.22.17.5 is outside subnet 177.22.16.0/24", NetworkError),
    ({NET: "my_net2", f"{NET}.ip": "177.22.16.8"}, "address 177.22.16.8 is already in use on network 'my_net2'", NetworkError),
    ({NET: "my_net2", f"{NET}.ip": "177.22.16.1"}, "address 177.22.16.1 is already in use", NetworkError),
    ({NET: "my_net2", f"{NET}.ip": "not-an-ip"}, "'not-an-ip' is not an IPv4 address", ConfigError),
    ({NET: "my_net2", f"{NET}.ports": "80"}, "invalid port spec '80'", ConfigError),
    ({NET: "my_net2", f"{NET}.ports": "8080:80/sctp"}, "invalid port spec '8080:80/sctp'", ConfigError),
    ({NET: "my_net2", f"{NET}.ports": "8080:80/"}, "invalid port spec '8080:80/'", ConfigError),
    ({NET: "my_net2", f"{NET}.ports": "70000:80"}, "'70000' is not a port number", ConfigError),
    ({NET: "my_net2", f"{NET}.ports": "1.2.3:8080:80"}, "'1.2.3' is not an IPv4 address", ConfigError),
    ({NET: "my_net2", f"{NET}.ports": "9000:90,8082:80"}, "port 0.0.0.0:8082/tcp is already published by container resident", NetworkError),
    ({NET: "none", f"{NET}.ports": "8080:80"}, "network mode 'none' takes no", ConfigError),
]


@pytest.mark.parametrize("annotations, message, kind", ATTACH_ERRORS,
                         ids=[m.split(" ")[0] + str(i) for i, (_, m, _) in enumerate(ATTACH_ERRORS)])
def test_attach_errors(resident, annotations, message, kind):
    pid = resident.container()
    with pytest.raises(kind, match=re.escape(message)) as caught:
        network.attach("newcomer", pid, annotations)
    assert "\n" not in str(caught.value)
    with resident.container_links(pid) as ipr:
        assert [link.get("IFLA_IFNAME") for link in ipr.get_links()] == ["lo"]


def test_full_subnet(resident):
    first = network.attach("first", resident.container(), {NET: "tiny"})
    assert first["ip"] == "10.66.0.2"  # a /30: .1 is the gateway, .2 the only host left
    with pytest.raises(NetworkError, match=r"network 'tiny' is full: no free address in 10.66.0.0/30"):
        network.attach("second", resident.container(), {NET: "tiny"})
    network.detach("first", first)


def test_attach_to_a_dead_process(resident):
    pid = resident.container()
    resident.kill(pid)
    with pytest.raises(NetworkError, match=f"process {pid} does not exist"):
        network.attach("ghost", pid, {NET: "my_net2"})


def test_rm_is_refused_while_containers_are_attached(resident):
    with pytest.raises(NetworkError, match="network 'my_net2' has attached containers: resident"):
        networks.remove("my_net2")
    with pytest.raises(NetworkError, match="network 'gone' not found"):
        networks.remove("gone")
    with pytest.raises(InvalidArgument, match="default network 'bridge' cannot be removed"):
        networks.remove("bridge")


def test_store_holds_one_json_file_per_network_and_no_temp_files(resident):
    directory = os.environ["OCIRUNTIME_NETWORK_DIR"]
    assert sorted(os.listdir(directory)) == [".lock", "bridge.json", "my_net2.json", "tiny.json"]



def test_kernel_failure_midway_is_rolled_back(world):
    """The container already has a default route, so adding ours fails after the bridge,
    veth and rules exist: all of them must go again, and nothing is saved."""
    pid = world.container()
    for command in (["link", "add", "x0", "type", "veth"], ["link", "set", "x0", "up"],
                    ["addr", "add", "198.51.100.2/24", "dev", "x0"], ["route", "add", "default", "via", "198.51.100.1"]):
        assert world.in_container(pid, "ip", *command).returncode == 0
    with world.container_links(pid) as ipr:
        before = link_names(ipr)
    with pytest.raises(NetworkError, match="configuring eth0 in the container: (File|Object) exists"):
        network.attach("clash", pid, {NET: "bridge", f"{NET}.ports": "8082:80"})
    with world.container_links(pid) as ipr:
        assert link_names(ipr) == before and "eth0" not in before
