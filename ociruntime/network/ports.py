"""Published-port specs: `[IP:]HOST:CONTAINER[/tcp|udp]`, comma-separated."""
from ociruntime.errors import ConfigError
from ociruntime.network.annotations import PORTS

PROTOCOLS = ("tcp", "udp")


def _bad(message):
    return ConfigError(f'annotations["{PORTS}"]', message)


def parse_ports(spec):
    """Return a list of {"host_ip", "host_port", "container_port", "proto"}; host_ip None = any."""
    return [_parse_one(item.strip(), spec) for item in spec.split(",") if item.strip()]


def _parse_one(item, spec):
    mapping, slash, proto = item.partition("/")
    proto = proto if slash else "tcp"
    fields = mapping.split(":")
    if proto not in PROTOCOLS or len(fields) not in (2, 3):
        raise _bad(f"invalid port spec {spec!r}: want [IP:]HOST:CONTAINER[/tcp|udp]")
    host_ip = _parse_ip(fields[0], spec) if len(fields) == 3 else None
    return {
        "host_ip": host_ip,
        "host_port": _parse_port(fields[-2], spec),
        "container_port": _parse_port(fields[-1], spec),
        "proto": proto,
    }


def _parse_port(text, spec):
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise _bad(f"invalid port spec {spec!r}: {text!r} is not a port number (1-65535)")
    return int(text)


def _parse_ip(text, spec):
    from ociruntime.network.ipam import parse_address

    if parse_address(text) is None:
        raise _bad(f"invalid port spec {spec!r}: {text!r} is not an IPv4 address")
    return text


def ports_clash(a, b):
    """True when two published ports would catch the same packets."""
    same_ip = a["host_ip"] is None or b["host_ip"] is None or a["host_ip"] == b["host_ip"]
    return same_ip and a["proto"] == b["proto"] and a["host_port"] == b["host_port"]
