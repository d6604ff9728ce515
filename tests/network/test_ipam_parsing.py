"""The address parsing that bridge networking does without the ipaddress module, checked
against ipaddress as the oracle (pure logic: no root, no kernel)."""
import ipaddress
import random

from ociruntime.errors import NetworkError
from ociruntime.network import ipam

CHOSEN = ["0.0.0.0", "255.255.255.255", "10.88.0.1", "256.1.1.1", "1.2.3", "1.2.3.4.5", "01.2.3.4", "1.2.3.04",
          "1..2.3", "", " 1.2.3.4", "1.2.3.4 ", "1.2.3.-4", "+1.2.3.4", "\u0661.2.3.4", "1.2.3.4\n", "a.b.c.d"]


def _oracle_address(text):
    try:
        return int(ipaddress.IPv4Address(text))
    except ValueError:
        return None


def _oracle_network(text):
    if "/" not in text or not text.partition("/")[2].isdigit():  # ipaddress also takes masks, bare addresses
        return None
    try:
        net = ipaddress.IPv4Network(text)
    except ValueError:
        return None
    return int(net.network_address), net.prefixlen


def _samples(alphabet, rnd, count):
    return ["".join(rnd.choice(alphabet) for _ in range(rnd.randint(1, 12))) for _ in range(count)]


def test_addresses_parse_as_ipaddress_does():
    rnd = random.Random(11)
    quads = [".".join(str(rnd.randint(0, 300)) for _ in range(4)) for _ in range(2000)]
    for text in CHOSEN + quads + _samples("0123456789.", rnd, 3000):
        assert ipam.parse_address(text) == _oracle_address(text), text
        if ipam.parse_address(text) is not None:
            assert ipam.format_address(ipam.parse_address(text)) == str(ipaddress.IPv4Address(text))


def test_networks_parse_as_ipaddress_does():
    rnd = random.Random(12)
    cidrs = [f"{rnd.randint(0, 255)}.{rnd.randint(0, 255)}.{rnd.choice([0, 0, 16, 128])}.0/{rnd.randint(0, 33)}"
             for _ in range(3000)]
    for text in cidrs + ["10.88.0.0/16", "10.88.0.1/16", "0.0.0.0/0", "1.2.3.4/32", "1.2.3.0/024", "1.2.3.0/"]:
        assert ipam.parse_network(text) == _oracle_network(text), text


def test_assigned_addresses_skip_network_gateway_broadcast_and_taken():
    network = {"name": "n", "subnet": "10.1.2.0/30", "gateway": "10.1.2.1", "endpoints": {}}
    assert ipam.assign_address(network, None) == "10.1.2.2"
    network["endpoints"]["a"] = {"ip": "10.1.2.2"}
    full = None
    try:
        ipam.assign_address(network, None)
    except NetworkError as exc:
        full = str(exc)
    assert full == "network 'n' is full: no free address in 10.1.2.0/30"


def test_chosen_subnets_do_not_overlap_existing_ones():
    existing = [{"name": "a", "subnet": "10.89.0.0/24"}, {"name": "b", "subnet": "10.89.2.0/23"}]
    subnet, gateway, pool = ipam.define_addresses(None, None, None, existing)
    assert (subnet, gateway, pool) == ("10.89.1.0/24", "10.89.1.1", None)
    chosen = ipaddress.IPv4Network(subnet)
    assert not any(chosen.overlaps(ipaddress.IPv4Network(e["subnet"])) for e in existing)
