"""Kernel interface names we own: short (IFNAMSIZ 15), stable, recognisable."""
import hashlib

DEFAULT_NETWORK = "bridge"
DEFAULT_BRIDGE = "oci0"
NFT_COMMENT_MAX = 128


def bridge_name(network_id):
    """`br-oci-` + 8 hex of the network id: 15 characters."""
    return "br-oci-" + network_id[:8]


def host_veth_name(network_id, container_id):
    """`oci` + 12 hex of a hash, so teardown can find the veth without any saved state."""
    digest = hashlib.sha256(f"{network_id}/{container_id}".encode()).hexdigest()
    return "oci" + digest[:12]


def rule_tag_for_endpoint(network_id, container_id):
    """`ep:<12 hex>:<container id>`, the id hashed when the tag would pass nft's limit."""
    tag = f"ep:{network_id[:12]}:{container_id}"
    if len(tag) > NFT_COMMENT_MAX:
        tag = f"ep:{network_id[:12]}:{hashlib.sha256(container_id.encode()).hexdigest()}"
    return tag


def rule_tag_for_network(network_id):
    return f"net:{network_id[:12]}"
