"""Kernel links over rtnetlink: the bridge, and veth pairs into containers.

Each call is one libnl-route-3 request made by the _netlink extension (csrc/netlink/), which only a
networked container loads: pyroute2 used to cost ~150 ms to import here.
"""
import os

from ociruntime.errors import NetworkError

# libnl's answers about a link that is already gone: NLE_OBJ_NOTFOUND, and NLE_NODEV when
# it went between our lookup and the request (a dead container's netns, hence its veth
# pair, is torn down by the kernel asynchronously)
GONE = (12, 31)


class Netlink:
    """One NETLINK_ROUTE socket, in the namespace it was opened in."""

    def __init__(self, netns_fd=-1):
        self._sock = None
        from ociruntime._netlink import ffi, lib
        self._ffi, self._lib = ffi, lib
        self._sock = lib.oci_rtnl_open(netns_fd)
        if self._sock == ffi.NULL:
            errno = ffi.errno
            raise NetworkError(f"opening a netlink socket: {os.strerror(errno)}")

    def close(self):
        if self._sock is not None:
            self._lib.oci_rtnl_close(self._sock)
            self._sock = None

    def call(self, what, name, *args, gone_ok=False):
        """lib.oci_rtnl_<name>(sock, *args); a failure becomes one line that says `what`
        (with gone_ok, "no such object" is no failure)."""
        result = getattr(self._lib, "oci_rtnl_" + name)(self._sock, *args)
        if result < 0 and not (gone_ok and -result in GONE):
            raise NetworkError(f"{what}: {self._ffi.string(self._lib.oci_rtnl_strerror(result)).decode()}")
        return result

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def index(self, ifname):
        """The interface's ifindex, or None where it does not exist."""
        return self.call(f"looking up {ifname}", "link_index", ifname.encode()) or None


def host_netlink():
    return Netlink()


def container_netlink(netns_fd):
    """A netlink socket living in the container's namespace (opened there, used from here)."""
    return Netlink(netns_fd)


def ensure_bridge(nl, bridge, gateway, prefixlen):
    """The bridge exists, carries the gateway address and is up (re-created after a reboot)."""
    from ociruntime.network import sysctl

    what = f"creating bridge {bridge}"
    if nl.index(bridge) is None:
        nl.call(what, "bridge_add", bridge.encode())
    index = nl.index(bridge)
    nl.call(what, "addr_add", index, gateway.encode(), prefixlen)
    nl.call(what, "link_set_up", index)
    sysctl.allow_localhost_dnat(bridge)


def delete_link(nl, ifname):
    """Delete a link if it is there (a veth whose container died is already gone)."""
    index = nl.index(ifname)
    if index is None:
        return
    nl.call(f"deleting {ifname}", "link_del", index, gone_ok=True)


def free_ifname(cnl):
    """The first ethN not yet used inside the container."""
    n = 0
    while cnl.index(f"eth{n}") is not None:
        n += 1
    return f"eth{n}"


def plumb(nl, netns_fd, bridge, host_veth, ip, prefixlen, gateway, default_route):
    """veth pair: host end on `bridge`, peer inside the container with `ip`; returns its name."""
    with container_netlink(netns_fd) as cnl:
        ifname = free_ifname(cnl)
        delete_link(nl, host_veth)  # a leftover of a crash: the name is derived from ids we own
        nl.call(f"creating veth {host_veth}", "veth_add", host_veth.encode(), ifname.encode(), netns_fd)
        try:
            _attach_host_end(nl, bridge, host_veth)
            _configure_inside(cnl, ifname, ip, prefixlen, gateway, default_route)
        except BaseException:
            delete_link(nl, host_veth)
            raise
    return ifname


def _attach_host_end(nl, bridge, host_veth):
    what = f"attaching {host_veth} to {bridge}"
    index = nl.index(host_veth)
    nl.call(what, "link_set_master", index, nl.index(bridge))
    nl.call(what, "bridge_port_hairpin", index)
    nl.call(what, "link_set_up", index)


def _configure_inside(cnl, ifname, ip, prefixlen, gateway, default_route):
    what = f"configuring {ifname} in the container"
    cnl.call(what, "link_set_up", cnl.index("lo"))
    index = cnl.index(ifname)
    cnl.call(what, "addr_add", index, ip.encode(), prefixlen)
    cnl.call(what, "link_set_up", index)
    if default_route:
        cnl.call(what, "default_route_add", gateway.encode(), index)
