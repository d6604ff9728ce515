"""Kernel links over netlink (pyroute2): the bridge, and veth pairs into containers.

Imported only when a container actually gets a network: pyroute2 costs ~110 ms to import.
"""
import contextlib
import errno

from pyroute2 import IPRoute
from pyroute2.netlink.exceptions import NetlinkError

from ociruntime.errors import RuntimeFailure
from ociruntime.network import netns, sysctl

BRIDGE_PORT_HAIRPIN = 1


@contextlib.contextmanager
def kernel_errors(what):
    """Turn a netlink error into a one-line RuntimeFailure that says what we were doing."""
    try:
        yield
    except NetlinkError as exc:
        raise RuntimeFailure(f"{what}: {exc.args[1] if len(exc.args) > 1 else exc}") from None


@contextlib.contextmanager
def host_netlink():
    with IPRoute() as ipr:
        yield ipr


@contextlib.contextmanager
def container_netlink(netns_fd):
    """A netlink socket living in the container's namespace (opened there, used from here)."""
    with netns.entered(netns_fd):
        ipr = IPRoute()
    with ipr:
        yield ipr


def _index(ipr, ifname):
    found = ipr.link_lookup(ifname=ifname)
    return found[0] if found else None


def ensure_bridge(ipr, bridge, gateway, prefixlen):
    """The bridge exists, carries the gateway address and is up (re-created after a reboot)."""
    with kernel_errors(f"creating bridge {bridge}"):
        if _index(ipr, bridge) is None:
            ipr.link("add", ifname=bridge, kind="bridge")
        index = _index(ipr, bridge)
        addresses = {a.get("IFA_ADDRESS") for a in ipr.get_addr(index=index, family=2)}
        if gateway not in addresses:
            ipr.addr("add", index=index, address=gateway, prefixlen=prefixlen)
        ipr.link("set", index=index, state="up")
    sysctl.allow_localhost_dnat(bridge)


def delete_link(ipr, ifname):
    """Delete a link if it is there (a veth whose container died is already gone)."""
    index = _index(ipr, ifname)
    if index is None:
        return
    try:
        ipr.link("del", index=index)
    except NetlinkError as exc:
        if exc.code != errno.ENODEV:
            raise RuntimeFailure(f"deleting {ifname}: {exc}") from None


def free_ifname(cipr):
    """The first ethN not yet used inside the container."""
    names = {link.get("IFLA_IFNAME") for link in cipr.get_links()}
    return next(f"eth{n}" for n in range(len(names) + 1) if f"eth{n}" not in names)


def plumb(ipr, netns_fd, bridge, host_veth, ip, prefixlen, gateway, default_route):
    """veth pair: host end on `bridge`, peer inside the container with `ip`; returns its name."""
    with container_netlink(netns_fd) as cipr:
        ifname = free_ifname(cipr)
        delete_link(ipr, host_veth)  # a leftover of a crash: the name is derived from ids we own
        with kernel_errors(f"creating veth {host_veth}"):
            ipr.link("add", ifname=host_veth, kind="veth", peer={"ifname": ifname, "net_ns_fd": netns_fd})
        try:
            _attach_host_end(ipr, bridge, host_veth)
            with kernel_errors(f"configuring {ifname} in the container"):
                _configure_inside(cipr, ifname, ip, prefixlen, gateway, default_route)
        except BaseException:
            delete_link(ipr, host_veth)
            raise
    return ifname


def _attach_host_end(ipr, bridge, host_veth):
    with kernel_errors(f"attaching {host_veth} to {bridge}"):
        index = _index(ipr, host_veth)
        ipr.link("set", index=index, master=_index(ipr, bridge))
        ipr.brport("set", index=index, mode=BRIDGE_PORT_HAIRPIN)
        ipr.link("set", index=index, state="up")


def _configure_inside(cipr, ifname, ip, prefixlen, gateway, default_route):
    lo = _index(cipr, "lo")
    cipr.link("set", index=lo, state="up")
    index = _index(cipr, ifname)
    cipr.addr("add", index=index, address=ip, prefixlen=prefixlen)
    cipr.link("set", index=index, state="up")
    if default_route:
        cipr.route("add", dst="0.0.0.0/0", gateway=gateway, oif=index)
