"""Bridge networking for containers that have their own network namespace.

The runtime asks for it with OCI annotations in config.json:

  org.ociruntime.network        network name (e.g. `bridge`, the default network,
                                10.88.0.0/16 on device oci0, created on first use),
                                or `none` (only `lo`, brought up),
                                or `host` (nothing to do: the runtime creates no netns).
  org.ociruntime.network.ip     a static IPv4 address inside the network's subnet.
  org.ociruntime.network.ports  published ports: `HOST:CONTAINER[/tcp|udp]` or
                                `IP:HOST:CONTAINER[/tcp|udp]`, comma-separated.

Without `org.ociruntime.network` nothing happens and nothing heavy is imported:
call `wants_network(annotations)` first. libnl and libnftables load only inside
`attach`/`detach`/`connect`/`disconnect` when there is kernel work to do.

Networks themselves (create/ls/inspect/rm) live in `ociruntime.network.networks`,
and `ociruntime.cli.network.main(argv, pid_of)` serves `ociruntime network ...`.
"""
from ociruntime.network.annotations import MODE_HOST, MODE_NONE, wants_network

__all__ = ["wants_network", "attach", "detach", "connect", "disconnect"]


def attach(container_id, pid, annotations):
    """Network the container whose init is `pid`, as its annotations ask.

    Returns the record to keep in the container's state (None when no networking was
    asked for): {"mode": "bridge"|"none"|"host", and for bridge: "network", "ip",
    "ifname", "ports"}.
    """
    if not wants_network(annotations):
        return None
    from ociruntime.network.request import parse_request

    name, ip, ports = parse_request(annotations)
    if name == MODE_HOST:
        return {"mode": MODE_HOST}
    if name == MODE_NONE:
        return _loopback_only(pid)
    from ociruntime.network.endpoints import join

    endpoint = join(name, container_id, pid, ip, ports, default_route=True)
    return {"mode": "bridge", "network": name, "ip": endpoint["ip"], "ifname": endpoint["ifname"], "ports": ports}


def _loopback_only(pid):
    import os

    from ociruntime.network import loopback, netns

    netns_fd = netns.open_netns(pid)
    try:
        loopback.bring_up_loopback(netns_fd)
    finally:
        os.close(netns_fd)
    return {"mode": MODE_NONE}


def detach(container_id, record=None):
    """Undo attach and any later connect: veths, addresses, port rules (idempotent; works
    after the container died). `record` is what attach returned, or what the runtime
    recorded before calling it ({"mode", "network"}): a join killed before it saved its
    endpoint is undone from the names the network and the container id give. A
    host-mode container never has endpoints, so it costs nothing."""
    if record is not None and record.get("mode") == MODE_HOST:
        return
    from ociruntime.network.endpoints import leave_all

    leave_all(container_id, joining=(record or {}).get("network"))


def connect(name, container_id, pid, ip=None):
    """Give a running container one more interface (ethN, no default route) on network `name`."""
    from ociruntime.network.endpoints import join

    return join(name, container_id, pid, ip, [], default_route=False)


def disconnect(name, container_id):
    """Remove the container's interface on network `name` (the container may be dead)."""
    from ociruntime.network.endpoints import leave

    leave(name, container_id)
