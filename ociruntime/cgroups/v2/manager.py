"""The v2 manager: one directory in the unified hierarchy."""

import os

from ociruntime.errors import CgroupError, RuntimeFailure

from .. import files
from ..base import Manager

# Controller modules are imported where used: `delete`, `kill` or `pause` need none of
# the resource writers, and every call pays its imports.


# each controller's module with the linux.resources section it writes
_APPLIERS = (("cpuset", "cpu"), ("memory", "memory"), ("cpu", "cpu"), ("pids", "pids"),
             ("io", "blockIO"), ("hugetlb", "hugepageLimits"), ("unified", "unified"))


def _appliers(resources):
    """The modules for the sections `resources` has: the others are not imported."""
    return [__import__(f"{__package__}.{name}", fromlist=("apply",))
            for name, section in _APPLIERS if resources.get(section)]


def _collectors():
    from . import cpu, cpuset, hugetlb, io, memory, pids
    return (cpu, cpuset, memory, pids, io, hugetlb)


def resolve_path(layout, cgroups_path, container_id):
    """The container directory per runc's fs2 driver: absolute cgroupsPath from the root; relative
    (default: the container id) from the parent of this process's cgroup, which holds tasks itself."""
    from ..hostinfo import clean_path, read_own_cgroups
    inner = clean_path(cgroups_path) or clean_path(container_id)
    if inner.startswith("/"):
        base = layout.v2.mountpoint
    else:
        base = layout.v2.host_dir(os.path.dirname(read_own_cgroups().get("", "/")))
    return base.rstrip("/") + "/" + inner.strip("/")


def enable_controllers(mountpoint, path):
    """Enable in every ancestor's cgroup.subtree_control, root to parent, the controllers it has
    but has not enabled yet (runc's CreateCgroupPath). Failures are left for the resource writes
    to report, naming their field."""
    ancestor = mountpoint
    for part in os.path.relpath(os.path.dirname(path), mountpoint).split("/"):
        if part != ".":
            ancestor = os.path.join(ancestor, part)
        available = set((files.read_optional(ancestor, "cgroup.controllers") or "").split())
        missing = available - set(files.read(ancestor, "cgroup.subtree_control").split())
        for controller in sorted(missing):
            try:
                files.write(ancestor, "cgroup.subtree_control", f"+{controller}", "cgroups")
            except RuntimeFailure:
                pass


class V2Manager(Manager):
    version = 2

    def __init__(self, path, mountpoint):
        self.path = path
        self.mountpoint = mountpoint

    @classmethod
    def open(cls, layout, cgroups_path, container_id):
        return cls(resolve_path(layout, cgroups_path, container_id), layout.v2.mountpoint)

    @classmethod
    def from_state(cls, state):
        return cls(state["path"], state["mountpoint"])

    def to_state(self):
        return {"version": 2, "path": self.path, "mountpoint": self.mountpoint}

    def create(self, resources):
        resources = resources or {}
        if not os.path.realpath(self.path).startswith(self.mountpoint.rstrip("/") + "/"):
            raise CgroupError(f"cgroupsPath: {self.path} is not below {self.mountpoint}")
        created = files.make_dirs(self.path)
        try:
            enable_controllers(self.mountpoint, self.path)
            from . import freezer
            self.refuse_frozen(self.path, freezer.frozen_in_effect(self.path))
            self.update(resources)
        except BaseException:
            files.remove_created(created)
            raise

    def update(self, resources):
        resources = resources or {}
        network = resources.get("network") or {}
        for key in ("classID", "priorities"):
            if network.get(key) not in (None, []):
                raise CgroupError(f"linux.resources.network.{key}: needs the cgroup v1 net_cls/net_prio "
                                     "controllers, which cgroup v2 does not have")
        for module in _appliers(resources):
            module.apply(self.path, resources)
        if resources.get("devices"):
            from . import devices_ebpf
            devices_ebpf.apply(self.path, resources)

    def placement(self):
        """(no v1 `tasks` files, the cgroup dir): the C stages join by themselves."""
        return [], self.path

    def can_freeze(self):
        return files.exists(self.path, "cgroup.freeze")

    def freeze(self):
        from . import freezer
        freezer.freeze(self.path)

    def thaw(self):
        from . import freezer
        freezer.thaw(self.path)

    def is_frozen(self):
        from . import freezer
        return freezer.is_frozen(self.path)

    def pids(self):
        return files.tree_pids(self.path)

    def procs_dir(self):
        return self.path

    def freezer_dir(self):
        return self.path

    def stats(self):
        from .. import stats
        out = stats.empty_stats()
        for module in _collectors():
            module.collect(self.path, out)
        return out

    def oom_events(self):
        from . import memory
        return memory.oom_kills(self.path)

    def destroy(self):
        files.remove_tree(self.path)

    def container_mounts(self, mount, cgroupns):
        """A cgroup2 mount with its own cgroup namespace, else a bind of the container's directory."""
        options = [o for o in mount.get("options") or [] if o not in ("rbind", "bind")]
        if cgroupns:
            return [{"source": "cgroup2", "destination": mount["destination"], "type": "cgroup2",
                     "options": options}]
        return [{"source": self.path, "destination": mount["destination"], "type": "bind",
                 "options": ["rbind"] + options}]
