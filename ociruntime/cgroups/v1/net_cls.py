"""v1 net_cls: net_cls.classid (linux.resources.network.classID)."""

from .. import files
from ..resources import UINT32_MAX, field_name, get_int, section


def apply(cgdir, resources):
    field = field_name("network", "classID")
    class_id = get_int(section(resources, "network"), "classID", field, minimum=0, maximum=UINT32_MAX)
    if class_id is not None:
        files.write(cgdir, "net_cls.classid", class_id, field)
