"""The one nftables table `ip ociruntime`: published ports (DNAT) and masquerading.

Every rule we add carries a comment tag (names.rule_tag_for_*) so teardown deletes
exactly the rules of one endpoint or one network, by handle, in one transaction.
"""
from ociruntime.network import nftables

TABLE = "ip ociruntime"
SKELETON = f"""add table {TABLE}
add chain {TABLE} published
add chain {TABLE} prerouting {{ type nat hook prerouting priority dstnat; policy accept; }}
add chain {TABLE} output {{ type nat hook output priority -100; policy accept; }}
add chain {TABLE} postrouting {{ type nat hook postrouting priority srcnat; policy accept; }}
add rule {TABLE} prerouting fib daddr type local jump published
add rule {TABLE} output fib daddr type local jump published
"""


def _rules():
    return [obj["rule"] for obj in nftables.list_objects(f"list table {TABLE}") if "rule" in obj]


def table_exists():
    return any("table" in obj for obj in nftables.list_objects(f"list table {TABLE}"))


def _ensure_table():
    if not table_exists():
        nftables.run(SKELETON)


def network_rules(network, tag):
    """Masquerade what leaves the subnet, and localhost-sourced DNAT traffic into the bridge."""
    bridge, subnet = network["bridge"], network["subnet"]
    return [
        f'add rule {TABLE} postrouting ip saddr {subnet} oifname != "{bridge}" masquerade comment "{tag}"',
        f'add rule {TABLE} postrouting oifname "{bridge}" ip saddr 127.0.0.0/8 masquerade comment "{tag}"',
    ]


def port_rules(container_ip, ports, tag):
    """DNAT each published port to the container, and masquerade hairpin traffic."""
    rules = []
    for port in ports:
        match_ip = f'ip daddr {port["host_ip"]} ' if port["host_ip"] else ""
        proto = port["proto"]
        rules.append(
            f'add rule {TABLE} published {match_ip}{proto} dport {port["host_port"]} '
            f'dnat to {container_ip}:{port["container_port"]} comment "{tag}"'
        )
        rules.append(
            f'add rule {TABLE} postrouting ip saddr {container_ip} ip daddr {container_ip} '
            f'{proto} dport {port["container_port"]} masquerade comment "{tag}"'
        )
    return rules


def add(rules, tag_present=None):
    """Add `rules` (creating the table if needed); skip them if `tag_present` is already there."""
    _ensure_table()
    if tag_present is not None and any(r.get("comment") == tag_present for r in _rules()):
        return
    if rules:
        nftables.run("\n".join(rules) + "\n")


def remove_tagged(*tags):
    """Delete every rule carrying one of `tags` (missing table or rules: nothing to do)."""
    doomed = [r for r in _rules() if r.get("comment") in tags]
    if doomed:
        nftables.run("".join(f"delete rule {TABLE} {r['chain']} handle {r['handle']}\n" for r in doomed))


def remove_table():
    if table_exists():
        nftables.run(f"delete table {TABLE}\n")
