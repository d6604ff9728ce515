"""Network objects: create, list, inspect, remove; the default `bridge` network appears lazily."""
import os
import time

from ociruntime.errors import InvalidArgument, NetworkError
from ociruntime.network import ipam, store
from ociruntime.network.names import DEFAULT_BRIDGE, DEFAULT_NETWORK, bridge_name

DRIVERS = ("bridge",)
DEFAULT_SUBNET = "10.88.0.0/16"
DEFAULT_GATEWAY = "10.88.0.1"


def _new_network(name, subnet, gateway, ip_range, bridge=None):
    network_id = os.urandom(32).hex()
    return {
        "name": name,
        "id": network_id,
        "driver": "bridge",
        "subnet": subnet,
        "gateway": gateway,
        "ip_range": ip_range,
        "bridge": bridge or bridge_name(network_id),
        "created": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()),
        "endpoints": {},
    }


def _ensure_default():
    """Create the default network on first use; the caller holds the lock."""
    if store.load(DEFAULT_NETWORK) is None:
        store.save(_new_network(DEFAULT_NETWORK, DEFAULT_SUBNET, DEFAULT_GATEWAY, None, DEFAULT_BRIDGE))


def create(name, driver="bridge", subnet=None, gateway=None, ip_range=None):
    """Define a network (no kernel objects yet: the bridge appears with the first container)."""
    store.check_name(name)
    if driver not in DRIVERS:
        raise InvalidArgument(f"unsupported network driver {driver!r}: only {', '.join(DRIVERS)}")
    with store.locked():
        _ensure_default()
        if store.load(name) is not None:
            raise NetworkError(f"network {name!r} already exists")
        existing = store.load_all()
        network = _new_network(name, *ipam.define_addresses(subnet, gateway, ip_range, existing))
        if any(n["bridge"] == network["bridge"] for n in existing):
            raise NetworkError(f"bridge name {network['bridge']} collides with another network: try again")
        store.save(network)
    return network


def list_networks():
    with store.locked():
        _ensure_default()
    return store.load_all()


def inspect(name):
    with store.locked():
        return get_locked(name)


def get_locked(name):
    """The stored network (the default one created on demand); the caller holds the lock."""
    if name == DEFAULT_NETWORK:
        _ensure_default()
    network = store.load(name)
    if network is None:
        raise NetworkError(f"network {name!r} not found")
    return network


def remove(name):
    with store.locked():
        network = get_locked(name)
        if network["endpoints"]:
            ids = ", ".join(sorted(network["endpoints"]))
            raise NetworkError(f"network {name!r} has attached containers: {ids}")
        if name == DEFAULT_NETWORK:
            raise InvalidArgument(f"the default network {name!r} cannot be removed")
        store.remove(name)
