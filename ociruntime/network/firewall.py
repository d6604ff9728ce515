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


def _listing():
    """(whether the table exists, its rules), from one listing."""
    objects = nftables.list_objects(f"list table {TABLE}")
    return any("table" in obj for obj in objects), [obj["rule"] for obj in objects if "rule" in obj]


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


def add(network_rules, network_tag, endpoint_rules):
    """In one transaction: the table if missing, the network's rules unless its tag is already
    there (another container of the network put them), and the endpoint's rules."""
    exists, rules = _listing()
    text = "" if exists else SKELETON
    if not any(r.get("comment") == network_tag for r in rules):
        text += "".join(rule + "\n" for rule in network_rules)
    text += "".join(rule + "\n" for rule in endpoint_rules)
    if text:
        nftables.run(text)


def remove(tags, drop_table=False):
    """In one transaction: delete every rule carrying one of `tags`, or the whole table
    (missing table or rules: nothing to do)."""
    exists, rules = _listing()
    if not exists:
        return
    if drop_table:
        nftables.run(f"delete table {TABLE}\n")
        return
    doomed = [r for r in rules if r.get("comment") in tags]
    if doomed:
        nftables.run("".join(f"delete rule {TABLE} {r['chain']} handle {r['handle']}\n" for r in doomed))
