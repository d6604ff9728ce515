"""What both drivers share: the manager interface and the behaviours built on its primitives."""

import time

from ociruntime.errors import CgroupError

FREEZE_TIMEOUT = 5.0


def wait_until(predicate, what, timeout=FREEZE_TIMEOUT, nudge=None):
    """Poll `predicate` with a short back-off (calling `nudge` between polls) until true or timeout."""
    deadline = time.monotonic() + timeout
    delay = 0.0005
    while not predicate():
        if time.monotonic() > deadline:
            raise CgroupError(f"cgroups: timed out waiting for {what}")
        time.sleep(delay)
        delay = min(delay * 2, 0.05)
        if nudge:
            nudge()


class Manager:
    """One container's cgroup(s). Subclasses provide the driver-specific primitives."""

    version: int | None = None  # 1 or 2 in a driver

    @staticmethod
    def refuse_frozen(cgdir, frozen):
        """A cgroup frozen before the container is in it (by itself or a parent) would hold
        the init at its first step for ever: refused before anything runs, as runc."""
        if frozen:
            raise CgroupError(f"container's cgroup unexpectedly frozen: {cgdir} (thaw it or its parent first)")

    def create(self, resources):
        raise NotImplementedError

    def enter(self, pid):
        """Called with stage 1's pid before it clones the init. The cgroupfs drivers' directories
        exist by then and the stages join them by themselves (placement): nothing to do."""

    def freeze(self):
        raise NotImplementedError

    def thaw(self):
        raise NotImplementedError

    def is_frozen(self):
        raise NotImplementedError

    def pids(self):
        raise NotImplementedError

    def update(self, resources):
        raise NotImplementedError

    def stats(self):
        raise NotImplementedError

    def oom_events(self):
        raise NotImplementedError

    def destroy(self):
        raise NotImplementedError

    def container_mounts(self, mount, cgroupns):
        raise NotImplementedError

    def to_state(self):
        raise NotImplementedError

    def can_freeze(self):
        """Whether freeze()/thaw() work here (v1 needs the freezer hierarchy)."""
        return True

    def procs_dir(self):
        """The directory whose cgroup.procs (with its descendants') lists the container's processes."""
        raise NotImplementedError

    def freezer_dir(self):
        """The directory frozen by kill_all (v1 freezer, v2 the cgroup); None: cannot freeze."""
        raise NotImplementedError

    def kill_all(self, signum):
        """Signal every process in the cgroup tree, frozen meanwhile so nothing forks past us (as
        runc). A paused container stays paused, except for SIGKILL: frozen v1 tasks only die thawed.
        The front door's own C (csrc/container.c), so both paths signal alike."""
        from ociruntime._core import ffi, lib
        err = ffi.new("char[]", lib.OCI_ERR_LEN)
        freezer = self.freezer_dir()
        if lib.oci_cgroup_kill_all(self.version, self.procs_dir().encode(), freezer.encode() if freezer else ffi.NULL,
                                   signum, err, lib.OCI_ERR_LEN) < 0:
            raise CgroupError(ffi.string(err).decode(errors="replace"))
