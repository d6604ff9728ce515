"""The few per-network-namespace sysctls that forwarding and localhost DNAT need."""


def write(key, value):
    """Set /proc/sys/<key> (dotted or slashed) in the calling thread's network namespace."""
    with open("/proc/sys/" + key.replace(".", "/"), "w") as f:
        f.write(str(value))


def enable_forwarding():
    write("net/ipv4/ip_forward", 1)


def allow_localhost_dnat(bridge):
    """Let 127.0.0.0/8-sourced packets route out of `bridge` (what Docker does without its proxy)."""
    write(f"net/ipv4/conf/{bridge}/route_localnet", 1)
