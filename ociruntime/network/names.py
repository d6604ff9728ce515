"""Kernel interface names we own: short (IFNAMSIZ 15), stable, recognisable."""
import hashlib

DEFAULT_NETWORK = "bridge"
DEFAULT_BRIDGE = "oci0"


def bridge_name(network_id):
    """`br-oci-` + 8 hex of the network id: 15 characters."""
    return "br-oci-" + network_id[:8]


def host_veth_name(network_id, container_id):
    """`oci` + 12 hex of a hash, so teardown can find the veth without any saved state."""
    digest = hashlib.sha256(f"{network_id}/{container_id}".encode()).hexdigest()
    return "oci" + digest[:12]


def rule_tag_for_endpoint(network_id, container_id):
    return f"ep:{network_id[:12]}:{container_id}"


def rule_tag_for_network(network_id):
    return f"net:{network_id[:12]}"
