"""IPv4 address management: validate network definitions and hand out addresses.

Pure functions over the stored network objects; the caller holds the store lock. Addresses
are plain ints here (the ipaddress module costs ~2 ms to import on every networked create).
"""
from ociruntime.errors import InvalidArgument, NetworkError

DEFAULT_POOL = "10.89.0.0/16"
POOL_PREFIX = 24


def parse_address(text):
    """The int of a dotted-quad IPv4 address (four decimal parts, no leading zeros), or None."""
    parts = text.split(".")
    if len(parts) != 4 or not all(p.isdigit() and p.isascii() and (p == "0" or p[0] != "0") for p in parts):
        return None
    values = [int(p) for p in parts]
    if any(v > 255 for v in values):
        return None
    return values[0] << 24 | values[1] << 16 | values[2] << 8 | values[3]


def format_address(value):
    return ".".join(str(value >> shift & 255) for shift in (24, 16, 8, 0))


def parse_network(text):
    """(first address, prefix length) of an IPv4 CIDR without host bits, or None."""
    address, slash, prefix = text.partition("/")
    first = parse_address(address)
    if not slash or first is None or not (prefix.isdigit() and prefix.isascii()) or int(prefix) > 32:
        return None
    length = int(prefix)
    return (first, length) if first & _host_mask(length) == 0 else None


def prefix_length(subnet):
    return int(subnet.partition("/")[2])


def _host_mask(length):
    return (1 << (32 - length)) - 1


def _last(network):
    first, length = network
    return first | _host_mask(length)


def _contains(network, address):
    return network[0] <= address <= _last(network)


def _overlaps(a, b):
    return a[0] <= _last(b) and b[0] <= _last(a)


def _text(network):
    return f"{format_address(network[0])}/{network[1]}"


def define_addresses(subnet, gateway, ip_range, existing):
    """Validate (or choose) subnet, gateway and ip-range; return them as strings."""
    net = _pick_subnet(existing) if subnet is None else _parse_subnet(subnet)
    for other in existing:
        if _overlaps(net, parse_network(other["subnet"])):
            raise NetworkError(f"subnet {_text(net)} overlaps subnet {other['subnet']} of network {other['name']!r}")
    gw = _parse_gateway(gateway, net) if gateway else net[0] + 1
    pool = _parse_ip_range(ip_range, net) if ip_range else None
    return _text(net), format_address(gw), (_text(pool) if pool else None)


def _parse_subnet(text):
    net = parse_network(text)
    if net is None:
        raise InvalidArgument(f"invalid subnet {text!r}: want an IPv4 CIDR with no host bits, e.g. 10.1.2.0/24")
    if net[1] > 30:
        raise InvalidArgument(f"subnet {_text(net)} is too small: at most /30")
    return net


def _parse_gateway(text, net):
    gw = parse_address(text)
    if gw is None:
        raise InvalidArgument(f"invalid gateway {text!r}: not an IPv4 address")
    if not _contains(net, gw) or gw in (net[0], _last(net)):
        raise InvalidArgument(f"gateway {text} is outside subnet {_text(net)} (or is its network/broadcast address)")
    return gw


def _parse_ip_range(text, net):
    pool = parse_network(text)
    if pool is None:
        raise InvalidArgument(f"invalid ip-range {text!r}: want an IPv4 CIDR")
    if not (pool[1] >= net[1] and _contains(net, pool[0])):
        raise InvalidArgument(f"ip-range {_text(pool)} is outside subnet {_text(net)}")
    return pool


def _pick_subnet(existing):
    taken = [parse_network(n["subnet"]) for n in existing]
    first, length = parse_network(DEFAULT_POOL)
    for start in range(first, _last((first, length)) + 1, 1 << (32 - POOL_PREFIX)):
        candidate = (start, POOL_PREFIX)
        if not any(_overlaps(candidate, t) for t in taken):
            return candidate
    raise NetworkError(f"no free /{POOL_PREFIX} left in the default pool {DEFAULT_POOL}: pass --subnet")


def assign_address(network, wanted):
    """Return a free address of `network` (a stored network dict): `wanted` if given, else the first free."""
    net = parse_network(network["subnet"])
    reserved = {net[0], _last(net), parse_address(network["gateway"])}
    taken = reserved | {parse_address(ep["ip"]) for ep in network["endpoints"].values()}
    if wanted is not None:
        return format_address(_check_wanted(parse_address(wanted), net, taken, network["name"]))
    pool = parse_network(network["ip_range"]) if network.get("ip_range") else net
    for address in range(pool[0], _last(pool) + 1):
        if address not in taken:
            return format_address(address)
    raise NetworkError(f"network {network['name']!r} is full: no free address in {_text(pool)}")


def _check_wanted(address, net, taken, name):
    if not _contains(net, address):
        raise NetworkError(f"address {format_address(address)} is outside subnet {_text(net)} of network {name!r}")
    if address in taken:
        raise NetworkError(f"address {format_address(address)} is already in use on network {name!r}")
    return address
