"""v2 freezer: cgroup.freeze, waiting for cgroup.events to report "frozen" reached."""

from .. import files
from ..base import wait_until

FIELD = "cgroups freezer"


def _frozen_event(cgdir):
    return files.read_keyed(cgdir, "cgroup.events").get("frozen", 0)


def freeze(cgdir):
    files.write(cgdir, "cgroup.freeze", 1, FIELD)
    try:
        wait_until(lambda: _frozen_event(cgdir) == 1, "the cgroup to freeze")
    except Exception:
        thaw(cgdir)
        raise


def thaw(cgdir):
    files.write(cgdir, "cgroup.freeze", 0, FIELD)
    wait_until(lambda: _frozen_event(cgdir) == 0, "the cgroup to thaw")


def frozen_in_effect(cgdir):
    """Frozen by its own cgroup.freeze or by an ancestor's (what cgroup.events reports)."""
    return _frozen_event(cgdir) == 1


def is_frozen(cgdir):
    return files.read_optional(cgdir, "cgroup.freeze") == "1"
