"""Parse and validate a container's network annotations before anything is touched."""
from ociruntime.errors import ConfigError
from ociruntime.network.annotations import IP, MODE_HOST, MODE_NONE, NETWORK, PORTS
from ociruntime.network.ports import parse_ports


def parse_request(annotations):
    """Return (network name or mode, static IPv4 or None, published ports)."""
    name = annotations[NETWORK].strip()
    ip = annotations.get(IP, "").strip() or None
    ports = parse_ports(annotations.get(PORTS, ""))
    if not name:
        raise ConfigError(f'annotations["{NETWORK}"]', "is empty")
    if name in (MODE_NONE, MODE_HOST) and (ip or ports):
        raise ConfigError(f'annotations["{NETWORK}"]', f"network mode {name!r} takes no {IP} or {PORTS}")
    if ip is not None:
        from ociruntime.network.ipam import parse_address

        if parse_address(ip) is None:
            raise ConfigError(f'annotations["{IP}"]', f"{ip!r} is not an IPv4 address")
    return name, ip, ports
