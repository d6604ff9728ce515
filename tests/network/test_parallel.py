"""Concurrent attaches never hand out one address twice; detach frees them all."""
import concurrent.futures
import multiprocessing

from ociruntime import network
from ociruntime.network import networks

COUNT = 20


def test_twenty_parallel_attaches_get_distinct_addresses(world):
    pids = [world.container() for _ in range(COUNT)]
    with concurrent.futures.ThreadPoolExecutor(COUNT) as pool:
        records = list(pool.map(lambda i: network.attach(f"c{i}", pids[i], {"org.ociruntime.network": "bridge"}), range(COUNT)))
    addresses = {r["ip"] for r in records}
    assert len(addresses) == COUNT
    assert set(networks.inspect("bridge")["endpoints"]) == {f"c{i}" for i in range(COUNT)}
    for i in (0, COUNT - 1):
        assert world.in_container(pids[i], "ip", "-4", "addr", "show", "eth0").stdout.count(records[i]["ip"] + "/16") == 1
    with concurrent.futures.ThreadPoolExecutor(COUNT) as pool:
        list(pool.map(lambda i: network.detach(f"c{i}", records[i]), range(COUNT)))
    assert networks.inspect("bridge")["endpoints"] == {}
    again = network.attach("again", pids[0], {"org.ociruntime.network": "bridge"})
    assert again["ip"] == "10.88.0.2"
    network.detach("again", again)


def _attach_in_child(args):
    container_id, pid = args
    return network.attach(container_id, pid, {"org.ociruntime.network": "bridge"})["ip"]


def test_parallel_attaches_from_separate_processes(world):
    """Separate runtime processes coordinate through the store's flock, not a thread lock."""
    pids = [world.container() for _ in range(6)]
    with multiprocessing.get_context("fork").Pool(6) as pool:
        addresses = pool.map(_attach_in_child, [(f"p{i}", pid) for i, pid in enumerate(pids)])
    assert len(set(addresses)) == 6
    for i in range(6):
        network.detach(f"p{i}")
