"""Kernel interface names we own: short (IFNAMSIZ 15), stable, recognisable."""

DEFAULT_NETWORK = "bridge"
DEFAULT_BRIDGE = "oci0"
NFT_COMMENT_MAX = 128


def _sha256_hex(text):
    """CPython's builtin SHA-256 where it can be had: hashlib loads OpenSSL first (~4 ms on
    every networked create and delete) for a digest that needs no speed."""
    try:
        from _sha2 import sha256  # CPython 3.12+
    except ImportError:
        try:
            from _sha256 import sha256  # CPython 3.11
        except ImportError:
            from hashlib import sha256
    return sha256(text.encode()).hexdigest()


def bridge_name(network_id):
    """`br-oci-` + 8 hex of the network id: 15 characters."""
    return "br-oci-" + network_id[:8]


def host_veth_name(network_id, container_id):
    """`oci` + 12 hex of a hash, so teardown can find the veth without any saved state."""
    digest = _sha256_hex(f"{network_id}/{container_id}")
    return "oci" + digest[:12]


def rule_tag_for_endpoint(network_id, container_id):
    """`ep:<12 hex>:<container id>`, the id hashed when the tag would pass nft's limit."""
    tag = f"ep:{network_id[:12]}:{container_id}"
    if len(tag) > NFT_COMMENT_MAX:
        tag = f"ep:{network_id[:12]}:{_sha256_hex(container_id)}"
    return tag


def rule_tag_for_network(network_id):
    return f"net:{network_id[:12]}"
