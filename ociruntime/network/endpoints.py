"""Endpoints: a container's place on a network (address, veth, published ports).

Every change happens under the store lock: the IPAM decision, the kernel plumbing and
the saved state move together, and a failure rolls the kernel back before the lock is
released, so a refused or failed request leaves no veth, address, rule or state behind.
"""
import os

from ociruntime.container.state import check_id
from ociruntime.errors import NetworkError
from ociruntime.network import firewall, ipam, netns, networks, store, sysctl
from ociruntime.network.names import host_veth_name, rule_tag_for_endpoint, rule_tag_for_network
from ociruntime.network.ports import ports_clash


def join(name, container_id, pid, wanted_ip, ports, default_route):
    """Put the container (init `pid`) on network `name`; return the saved endpoint."""
    check_id(container_id)
    netns_fd = netns.open_netns(pid)
    try:
        if netns.shares_our_netns(pid):
            raise NetworkError(
                f"container {container_id} uses the host network namespace: cannot add interfaces")
        with store.locked():
            _release_stale_endpoints()
            network = networks.get_locked(name)
            if container_id in network["endpoints"]:
                raise NetworkError(f"container {container_id} is already connected to network {name!r}")
            _check_ports_free(ports)
            endpoint = {
                "ip": ipam.assign_address(network, wanted_ip),
                "veth": host_veth_name(network["id"], container_id),
                "pid": pid,
                "netns": os.fstat(netns_fd).st_ino,
                "ports": ports,
            }
            endpoint["ifname"] = _plumb(network, container_id, endpoint, netns_fd, default_route)
            network["endpoints"][container_id] = endpoint
            store.save(network)
    finally:
        os.close(netns_fd)
    return endpoint


def leave(name, container_id):
    """Take the container off network `name`; unknown names and non-members are errors."""
    with store.locked():
        network = networks.get_locked(name)
        if container_id not in network["endpoints"]:
            raise NetworkError(f"container {container_id} is not connected to network {name!r}")
        _tear_down([network], container_id)


def leave_all(container_id, joining=None):
    """Take the container off every network it is on (idempotent; the container may be dead).
    joining: a network the container was being put on by a runtime that may have been
    killed before it saved the endpoint: its veth and rules (named from the network and
    the container id) go too, and the bridge if the network is idle."""
    with store.locked():
        every = store.load_all()
        joined = [n for n in every if container_id in n["endpoints"]]
        if joined:
            _tear_down(joined, container_id)
        unsaved = [n for n in every if n["name"] == joining and container_id not in n["endpoints"]]
        if unsaved:
            _undo_unsaved_join(unsaved[0], container_id)


def _undo_unsaved_join(network, container_id):
    from ociruntime.network import links

    with links.host_netlink() as nl:
        links.delete_link(nl, host_veth_name(network["id"], container_id))
        _remove_rules_and_idle_bridge(nl, network, rule_tag_for_endpoint(network["id"], container_id))


def _check_ports_free(ports):
    for network in store.load_all():
        for owner, endpoint in network["endpoints"].items():
            for theirs in endpoint["ports"]:
                for mine in ports:
                    if ports_clash(mine, theirs):
                        where = mine["host_ip"] or "0.0.0.0"
                        port = f"{where}:{mine['host_port']}/{mine['proto']}"
                        raise NetworkError(f"port {port} is already published by container {owner}")


def _plumb(network, container_id, endpoint, netns_fd, default_route):
    from ociruntime.network import links

    prefixlen = ipam.prefix_length(network["subnet"])
    tag = rule_tag_for_endpoint(network["id"], container_id)
    sysctl.enable_forwarding()
    with links.host_netlink() as nl:
        try:
            links.ensure_bridge(nl, network["bridge"], network["gateway"], prefixlen)
            ifname = links.plumb(nl, netns_fd, network["bridge"], endpoint["veth"], endpoint["ip"],
                                 prefixlen, network["gateway"], default_route)
            net_tag = rule_tag_for_network(network["id"])
            firewall.add(firewall.network_rules(network, net_tag), net_tag,
                         firewall.port_rules(endpoint["ip"], endpoint["ports"], tag))
        except BaseException:
            links.delete_link(nl, endpoint["veth"])
            _remove_rules_and_idle_bridge(nl, network, tag)
            raise
    return ifname


def _tear_down(joined, container_id):
    from ociruntime.network import links

    with links.host_netlink() as nl:
        for network in joined:
            endpoint = network["endpoints"].pop(container_id)
            links.delete_link(nl, endpoint["veth"])
            _remove_rules_and_idle_bridge(nl, network, rule_tag_for_endpoint(network["id"], container_id))
            store.save(network)


def _remove_rules_and_idle_bridge(nl, network, endpoint_tag):
    """The endpoint's rules go; a network without containers keeps no bridge and no rules
    either, and with no containers anywhere there is no table."""
    from ociruntime.network import links

    if network["endpoints"]:
        firewall.remove([endpoint_tag])
        return
    others_busy = any(n["endpoints"] for n in store.load_all() if n["name"] != network["name"])
    firewall.remove([endpoint_tag, rule_tag_for_network(network["id"])], drop_table=not others_busy)
    links.delete_link(nl, network["bridge"])


def _release_stale_endpoints():
    """Free endpoints whose container is gone without a detach (crash, reboot): the
    process no longer exists or lives in another namespace than the one we plumbed."""
    for network in store.load_all():
        for container_id, endpoint in list(network["endpoints"].items()):
            if netns.netns_inode(endpoint["pid"]) != endpoint["netns"]:
                _tear_down([network], container_id)
