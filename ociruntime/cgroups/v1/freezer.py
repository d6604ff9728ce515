"""v1 freezer: freezer.state FROZEN/THAWED, waiting until the kernel reports the state reached."""

from .. import files
from ..base import wait_until

FIELD = "cgroups freezer"


def _state(cgdir):
    return files.read_optional(cgdir, "freezer.state")


def freeze(cgdir):
    """Write FROZEN until it sticks: a task forking during the freeze can leave it FREEZING."""
    files.write(cgdir, "freezer.state", "FROZEN", FIELD)
    try:
        wait_until(lambda: _state(cgdir) == "FROZEN", "the freezer to reach FROZEN",
                   nudge=lambda: files.write(cgdir, "freezer.state", "FROZEN", FIELD))
    except Exception:
        thaw(cgdir)
        raise


def thaw(cgdir):
    files.write(cgdir, "freezer.state", "THAWED", FIELD)
    wait_until(lambda: _state(cgdir) == "THAWED", "the freezer to reach THAWED")


def frozen_in_effect(cgdir):
    """FROZEN or FREEZING, by its own freezer.state or an ancestor's (v1 reports the effective state)."""
    return _state(cgdir) in ("FROZEN", "FREEZING")


def is_frozen(cgdir):
    return _state(cgdir) == "FROZEN"
