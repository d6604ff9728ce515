"""The OCI annotations that ask for networking (kept import-free: checked on every create)."""

NETWORK = "org.ociruntime.network"
IP = "org.ociruntime.network.ip"
PORTS = "org.ociruntime.network.ports"

MODE_NONE = "none"
MODE_HOST = "host"


def wants_network(annotations):
    """True when the container asked for any network handling at all."""
    return bool(annotations) and NETWORK in annotations
