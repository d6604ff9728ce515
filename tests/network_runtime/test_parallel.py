"""Many `ociruntime create` processes racing for addresses on one network."""
import json
import socket
from concurrent.futures import ThreadPoolExecutor

from .conftest import host_view, on

COUNT = 20


def eth0_address(world, pid):
    with world.container_links(pid) as ipr:
        index = ipr.link_lookup(ifname="eth0")[0]
        return [a.get_attr("IFA_ADDRESS") for a in ipr.get_addr(index=index, family=socket.AF_INET)]


def test_parallel_creates_get_distinct_addresses_and_deletes_free_them(containers, my_net2, world):
    before = host_view(containers)
    with ThreadPoolExecutor(COUNT) as pool:
        created = list(pool.map(lambda _: containers.create(on(my_net2)), range(COUNT)))
    ids = [cid for cid, _ in created]
    endpoints = json.loads(containers.runtime("network", "inspect", my_net2).stdout)["endpoints"]
    assert sorted(endpoints) == sorted(ids)
    assigned = {cid: endpoints[cid]["ip"] for cid in ids}
    assert len(set(assigned.values())) == COUNT
    assert set(assigned.values()) == {f"177.22.16.{n}" for n in range(2, 2 + COUNT)}
    for cid in ids:  # what each container's own namespace holds agrees with the store
        assert eth0_address(world, containers.pid(cid)) == [assigned[cid]]
    with ThreadPoolExecutor(COUNT) as pool:
        list(pool.map(lambda cid: containers.delete(cid, force=True), ids))
    assert json.loads(containers.runtime("network", "inspect", my_net2).stdout)["endpoints"] == {}
    assert host_view(containers) == before
