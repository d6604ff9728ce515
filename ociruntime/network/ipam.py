"""IPv4 address management: validate network definitions and hand out addresses.

Pure functions over the stored network objects; the caller holds the store lock.
"""
import ipaddress

from ociruntime.errors import RuntimeFailure

DEFAULT_POOL = ipaddress.IPv4Network("10.89.0.0/16")
POOL_PREFIX = 24


def define_addresses(subnet, gateway, ip_range, existing):
    """Validate (or choose) subnet, gateway and ip-range; return them as strings."""
    net = _pick_subnet(existing) if subnet is None else _parse_subnet(subnet)
    for other in existing:
        if net.overlaps(ipaddress.IPv4Network(other["subnet"])):
            raise RuntimeFailure(f"subnet {net} overlaps subnet {other['subnet']} of network {other['name']!r}")
    gw = _parse_gateway(gateway, net) if gateway else next(net.hosts())
    pool = _parse_ip_range(ip_range, net) if ip_range else None
    return str(net), str(gw), (str(pool) if pool else None)


def _parse_subnet(text):
    try:
        net = ipaddress.IPv4Network(text)
    except ValueError:
        raise RuntimeFailure(f"invalid subnet {text!r}: want an IPv4 CIDR with no host bits, e.g. 10.1.2.0/24") from None
    if net.prefixlen > 30:
        raise RuntimeFailure(f"subnet {net} is too small: at most /30")
    return net


def _parse_gateway(text, net):
    try:
        gw = ipaddress.IPv4Address(text)
    except ValueError:
        raise RuntimeFailure(f"invalid gateway {text!r}: not an IPv4 address") from None
    if gw not in net or gw in (net.network_address, net.broadcast_address):
        raise RuntimeFailure(f"gateway {gw} is outside subnet {net} (or is its network/broadcast address)")
    return gw


def _parse_ip_range(text, net):
    try:
        pool = ipaddress.IPv4Network(text)
    except ValueError:
        raise RuntimeFailure(f"invalid ip-range {text!r}: want an IPv4 CIDR") from None
    if not pool.subnet_of(net):
        raise RuntimeFailure(f"ip-range {pool} is outside subnet {net}")
    return pool


def _pick_subnet(existing):
    taken = [ipaddress.IPv4Network(n["subnet"]) for n in existing]
    for candidate in DEFAULT_POOL.subnets(new_prefix=POOL_PREFIX):
        if not any(candidate.overlaps(t) for t in taken):
            return candidate
    raise RuntimeFailure(f"no free /{POOL_PREFIX} left in the default pool {DEFAULT_POOL}: pass --subnet")


def assign_address(network, wanted):
    """Return a free address of `network` (a stored network dict): `wanted` if given, else the first free."""
    net = ipaddress.IPv4Network(network["subnet"])
    reserved = {net.network_address, net.broadcast_address, ipaddress.IPv4Address(network["gateway"])}
    taken = reserved | {ipaddress.IPv4Address(ep["ip"]) for ep in network["endpoints"].values()}
    if wanted is not None:
        return str(_check_wanted(ipaddress.IPv4Address(wanted), net, taken, network["name"]))
    pool = ipaddress.IPv4Network(network["ip_range"]) if network.get("ip_range") else net
    for address in pool:
        if address not in taken:
            return str(address)
    raise RuntimeFailure(f"network {network['name']!r} is full: no free address in {pool}")


def _check_wanted(address, net, taken, name):
    if address not in net:
        raise RuntimeFailure(f"address {address} is outside subnet {net} of network {name!r}")
    if address in taken:
        raise RuntimeFailure(f"address {address} is already in use on network {name!r}")
    return address
