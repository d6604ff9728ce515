"""The v1 manager: one container directory per mounted hierarchy (plus cgroup2's on hybrid hosts, as runc)."""

from ociruntime.errors import CgroupError, RuntimeFailure

from .. import files
from ..base import Manager

# Controller modules are imported where used: `delete`, `kill` or `pause` need none of
# the resource writers, and every call pays its imports.


# runc's subsystem order (cpuset before anything joins, devices early), each controller
# with the linux.resources section it writes
_APPLIERS = (("cpuset", "cpu"), ("devices", "devices"), ("memory", "memory"), ("cpu", "cpu"),
             ("pids", "pids"), ("blkio", "blockIO"), ("hugetlb", "hugepageLimits"),
             ("net_cls", "network"), ("net_prio", "network"))


def _appliers(resources):
    """(controller, module) for the sections `resources` has: the others are not imported."""
    return [(controller, __import__(f"{__package__}.{controller}", fromlist=("apply",)))
            for controller, section in _APPLIERS if resources.get(section)]


def _collectors():
    from . import blkio, cpu, cpuacct, cpuset, hugetlb, memory, pids
    return (("cpuacct", cpuacct), ("cpu", cpu), ("cpuset", cpuset), ("memory", memory),
            ("pids", pids), ("blkio", blkio), ("hugetlb", hugetlb))


PIDS_SOURCES = ("pids", "freezer", "memory", "devices")


def resolve_paths(layout, cgroups_path, container_id):
    """hierarchy key -> container directory, per runc's fs driver: an absolute cgroupsPath is taken
    from each hierarchy's root; a relative one (the default is the container id) from this process's
    own cgroup in that hierarchy."""
    from ..hostinfo import clean_path, read_own_cgroups
    inner = clean_path(cgroups_path) or clean_path(container_id)
    hierarchies = layout.v1 + ([layout.v2] if layout.v2 else [])
    own = {} if inner.startswith("/") else {frozenset(k.split(",")) - {""}: v for k, v in read_own_cgroups().items()}
    paths, mountpoints = {}, {}
    for h in hierarchies:
        if inner.startswith("/"):
            base = h.mountpoint
        else:
            base = h.host_dir(own.get(frozenset(h.controllers), "/"))
        paths[h.key] = base.rstrip("/") + "/" + inner.strip("/")
        mountpoints[h.key] = h.mountpoint
    return paths, mountpoints


class V1Manager(Manager):
    version = 1

    def __init__(self, paths, mountpoints):
        self.paths = paths              # hierarchy key ("cpu,cpuacct", "name=systemd", "" = cgroup2) -> dir
        self.mountpoints = mountpoints  # hierarchy key -> where the hierarchy is mounted

    @classmethod
    def open(cls, layout, cgroups_path, container_id):
        return cls(*resolve_paths(layout, cgroups_path, container_id))

    @classmethod
    def from_state(cls, state):
        return cls(state["paths"], state["mountpoints"])

    def to_state(self):
        return {"version": 1, "paths": self.paths, "mountpoints": self.mountpoints}

    def _dir(self, controller):
        for key, path in self.paths.items():
            if controller in key.split(","):
                return path
        return None

    def create(self, resources):
        resources = resources or {}
        created = []
        try:
            for key, path in self.paths.items():
                made = files.make_dirs(path)
                created.extend(made)
                if "cpuset" in key.split(","):
                    from . import cpuset
                    cpuset.seed_from_parent(path, self.mountpoints[key])
            self._refuse_frozen()
            self.update(resources)
        except BaseException:
            files.remove_created(created)
            raise

    def update(self, resources):
        resources = resources or {}
        if resources.get("unified"):
            raise CgroupError("linux.resources.unified: needs cgroup v2, this host uses cgroup v1 controllers")
        if resources.get("hugepageLimits") and not self._dir("hugetlb"):
            raise CgroupError("linux.resources.hugepageLimits: the hugetlb controller is not mounted")
        network = resources.get("network") or {}
        for key, controller in (("classID", "net_cls"), ("priorities", "net_prio")):
            if network.get(key) not in (None, []) and not self._dir(controller):
                raise CgroupError(f"linux.resources.network.{key}: the {controller} controller is not mounted")
        for controller, module in _appliers(resources):
            cgdir = self._dir(controller)
            if cgdir:
                module.apply(cgdir, resources)

    def placement(self):
        """(v1 `tasks` files, cgroup2 dir) for the C stages to join by themselves
        (csrc/spawn.c); the "" key is the controller-less cgroup2 of hybrid hosts."""
        return [p + "/tasks" for key, p in self.paths.items() if key], self.paths.get("")

    def can_freeze(self):
        return self._dir("freezer") is not None

    def freeze(self):
        from . import freezer
        freezer.freeze(self._freezer_dir())

    def thaw(self):
        from . import freezer
        freezer.thaw(self._freezer_dir())

    def is_frozen(self):
        from . import freezer
        return self.can_freeze() and freezer.is_frozen(self._dir("freezer"))

    def _refuse_frozen(self):
        from . import freezer
        cgdir = self._dir("freezer")
        if cgdir:
            self.refuse_frozen(cgdir, freezer.frozen_in_effect(cgdir))
        if self.paths.get(""):       # the hybrid host's cgroup2 freezes on its own too
            from ..v2 import freezer as v2_freezer
            self.refuse_frozen(self.paths[""], v2_freezer.frozen_in_effect(self.paths[""]))

    def _freezer_dir(self):
        if not self.can_freeze():
            raise CgroupError("cgroups: the freezer controller is not mounted")
        return self._dir("freezer")

    def procs_dir(self):
        for controller in PIDS_SOURCES:
            cgdir = self._dir(controller)
            if cgdir:
                return cgdir
        return next(iter(self.paths.values()))

    def freezer_dir(self):
        return self._dir("freezer")

    def pids(self):
        return files.tree_pids(self.procs_dir())

    def stats(self):
        from .. import stats
        out = stats.empty_stats()
        for controller, module in _collectors():
            cgdir = self._dir(controller)
            if cgdir:
                module.collect(cgdir, out)
        return out

    def oom_events(self):
        cgdir = self._dir("memory")
        from . import memory
        return memory.oom_kills(cgdir) if cgdir else 0

    def destroy(self):
        failures = []
        for path in self.paths.values():
            try:
                files.remove_tree(path)
            except RuntimeFailure as exc:
                failures.append(exc)
        if failures:
            raise failures[0]

    def container_mounts(self, mount, cgroupns):
        from . import mounts
        return mounts.container_mounts(self.paths, self.mountpoints, mount, cgroupns)
