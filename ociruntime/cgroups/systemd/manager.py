"""The systemd driver: the container's cgroup is a transient unit that systemd owns (a scope,
or a slice when cgroupsPath names one), made through systemd's D-Bus API; past what systemd
knows it is the v2 manager on the unit's directory.

A scope cannot start empty, and the container's init must be in its cgroup before its first
instruction: so `create` only checks and converts, and `enter(pid)` starts the scope with
stage 1 (csrc/spawn.c, waiting for "go") as its process; stage 1 then clones the init,
which is born in the scope. A slice needs no process: it is started by `create`, and the
stages join its directory as they join a cgroupfs one."""

import os

from ociruntime.errors import CgroupError

from .. import files
from ..v2.manager import V2Manager, enable_controllers
from . import naming
from .properties import annotation_properties, resource_properties

SYSTEMD = "org.freedesktop.systemd1"
SYSTEMD_PATH = "/org/freedesktop/systemd1"
MANAGER = "org.freedesktop.systemd1.Manager"
JOB_REMOVED_MATCH = (f"type='signal',sender='{SYSTEMD}',path='{SYSTEMD_PATH}',interface='{MANAGER}',"
                     "member='JobRemoved'")


def _connect():
    from .dbus import Bus
    bus = Bus()
    bus.send("/org/freedesktop/DBus", "org.freedesktop.DBus", "AddMatch", "org.freedesktop.DBus",
             "s", (JOB_REMOVED_MATCH,))
    return bus


def _run_job(bus, member, signature, body):
    """Call a Manager method that queues a job; wait for the job's JobRemoved; its result."""
    (job,) = bus.call(SYSTEMD_PATH, MANAGER, member, SYSTEMD, signature, body)
    _, _, _, result = bus.signal("JobRemoved", lambda b: b[1] == job)
    return result


def _reset_failed(bus, unit):
    from .dbus import BusError
    try:
        bus.call(SYSTEMD_PATH, MANAGER, "ResetFailedUnit", SYSTEMD, "s", (unit,))
    except BusError:
        pass  # not loaded or not failed: nothing to reset


class SystemdManager(V2Manager):
    driver = "systemd"

    def __init__(self, path, mountpoint, unit, started=True):
        super().__init__(path, mountpoint)
        self.unit = unit
        self.started = started
        self.parent = naming.DEFAULT_SLICE
        self.properties = []   # what `enter` starts the unit with
        self.resources = {}

    @classmethod
    def open(cls, layout, cgroups_path, container_id, annotations=None):
        """ConfigError naming linux.cgroupsPath or the annotation for a bad one; nothing is made."""
        from ..hostinfo import UNIFIED
        if layout.mode != UNIFIED:
            raise CgroupError(f"--systemd-cgroup: the systemd cgroup driver needs a pure cgroup v2 host "
                              f"(this one is {layout.mode}); run without --systemd-cgroup")
        if os.geteuid() != 0:
            raise CgroupError("--systemd-cgroup: a rootless runtime would need the user's systemd "
                              "(systemdUser), which is not supported")
        name = naming.parse_cgroups_path(cgroups_path, container_id)
        mgr = cls(layout.v2.mountpoint.rstrip("/") + name.path, layout.v2.mountpoint, name.unit, started=False)
        mgr.parent = name.parent
        mgr.properties = annotation_properties(annotations)
        return mgr

    @classmethod
    def from_state(cls, state):
        return cls(state["path"], state["mountpoint"], state["unit"])

    def to_state(self):
        return {"version": 2, "driver": self.driver, "path": self.path, "mountpoint": self.mountpoint,
                "unit": self.unit}

    def create(self, resources):
        """Check and convert now; a scope is started by `enter`, a slice here."""
        self.resources = resources or {}
        self.properties = self._unit_properties() + resource_properties(self.resources) + self.properties
        if self.unit.endswith(".slice"):
            self._start(None)

    def enter(self, pid):
        """Start the scope with `pid` (stage 1, about to clone the init) in it."""
        if not self.started:
            self._start(pid)

    def placement(self):
        """The unit's directory once started (a slice, `exec`); before, stage 1 is put in by systemd."""
        return [], self.path if self.started else None

    def _unit_properties(self):
        props = [("Description", ("s", f"ociruntime container {self.unit}"))]
        if self.unit.endswith(".slice"):
            props.append(("Wants", ("as", [self.parent])))
        else:
            props += [("Slice", ("s", self.parent)), ("Delegate", ("b", True))]
        props += [(f"{kind}Accounting", ("b", True)) for kind in ("Memory", "CPU", "IO", "Tasks")]
        props.append(("DefaultDependencies", ("b", False)))
        return props

    def _start(self, pid):
        """StartTransientUnit and wait for its job; then the cgroupfs writes. A unit of that name
        left failed is reset and tried once more (as runc); one still there is an error."""
        from .dbus import BusError
        props = list(self.properties)
        if pid is not None:
            props.append(("PIDs", ("au", [pid])))
        bus = _connect()
        try:
            for retry in (True, False):
                try:
                    result = _run_job(bus, "StartTransientUnit", "ssa(sv)a(sa(sv))", (self.unit, "replace", props, []))
                    break
                except BusError as exc:
                    if exc.name == "org.freedesktop.systemd1.UnitExists":
                        if self.unit.endswith(".slice"):
                            result = "done"  # kubelet's "make sure the slice exists", as runc
                            break
                        if retry:
                            _reset_failed(bus, self.unit)
                            continue
                        raise CgroupError(f"linux.cgroupsPath: systemd unit {self.unit} already exists "
                                          "(another container with this name?)") from None
                    raise CgroupError(f"systemd cgroup driver: starting {self.unit}: {exc}") from None
            self.started = True
            if result != "done":
                raise CgroupError(f"systemd cgroup driver: starting {self.unit}: the job ended {result!r}")
            if not os.path.isdir(self.path):
                raise CgroupError(f"systemd cgroup driver: {self.unit} started but {self.path} is not there")
            enable_controllers(self.mountpoint, self.path)
            V2Manager.update(self, self.resources)
        except BaseException:
            if self.started:
                self._stop(bus)
            raise
        finally:
            bus.close()

    def update(self, resources):
        """SetUnitProperties (runtime) for what systemd knows, then every file as cgroupfs writes it."""
        props = resource_properties(resources)
        if props:
            from .dbus import Bus, BusError
            bus = Bus()
            try:
                bus.call(SYSTEMD_PATH, MANAGER, "SetUnitProperties", SYSTEMD, "sba(sv)", (self.unit, True, props))
            except BusError as exc:
                raise CgroupError(f"systemd cgroup driver: updating {self.unit}: {exc}") from None
            finally:
                bus.close()
        V2Manager.update(self, resources)

    def _stop(self, bus):
        from .dbus import BusError
        try:
            _run_job(bus, "StopUnit", "ss", (self.unit, "replace"))
        except BusError as exc:
            if exc.name != "org.freedesktop.systemd1.NoSuchUnit":
                raise CgroupError(f"systemd cgroup driver: stopping {self.unit}: {exc}") from None
        _reset_failed(bus, self.unit)

    def destroy(self):
        """Stop the unit and wait, reset it if it failed (an OOM kill, a killed init): systemd
        then forgets it and removes its directory; what it left (it was not running) goes too.
        Never started (create failed before): nothing of ours exists, whatever is at the path."""
        if self.started:
            bus = _connect()
            try:
                self._stop(bus)
            finally:
                bus.close()
            files.remove_tree(self.path)
