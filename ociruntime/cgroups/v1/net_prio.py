"""v1 net_prio: one net_prio.ifpriomap line per interface (linux.resources.network.priorities)."""

from .. import files
from ..resources import UINT32_MAX, field_name, get_int, section


def apply(cgdir, resources):
    for i, entry in enumerate(section(resources, "network").get("priorities") or ()):
        field = field_name("network", f"priorities[{i}]")
        priority = get_int(entry, "priority", field + ".priority", minimum=0, maximum=UINT32_MAX)
        files.write(cgdir, "net_prio.ifpriomap", f"{entry['name']} {priority}", field)
