"""v2 linux.resources.unified: raw "file": "value" pairs written to the container's cgroup."""

from ociruntime.errors import CgroupError

from .. import files
from ..resources import field_name


def apply(cgdir, resources):
    for key, value in (resources.get("unified") or {}).items():
        field = field_name("unified", key)
        if "/" in key or key.startswith("."):
            raise CgroupError(f"{field}: not a cgroup file name")
        if not files.exists(cgdir, key):
            raise CgroupError(f"{field}: no such cgroup file (is its controller enabled?)")
        files.write(cgdir, key, value, field)
