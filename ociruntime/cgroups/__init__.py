"""cgroups: one manager interface, a v2 (unified) and a v1 (legacy/hybrid) driver behind it, and
a systemd driver (--systemd-cgroup: transient units on a pure v2 host; cgroups/systemd/).

Contract used by the lifecycle (ociruntime/container/lifecycle.py):

    mgr = open_manager(cgroups_path, container_id)   # host mode detected once per call
    mgr.create(resources)      # mkdir + write linux.resources; CgroupError naming the field
                               # on error (CgroupError when the kernel refused), nothing left behind
    mgr.enter(pid)             # stage 1's pid, before it clones the init (systemd: the scope
                               # starts with it; cgroupfs drivers: nothing, the stages join)
    mgr.placement()            # (v1 tasks files, cgroup2 dir): the C stages join them by themselves
    mgr.freeze() / mgr.thaw() / mgr.is_frozen()
    mgr.pids() -> list[int]    # the whole cgroup tree
    mgr.kill_all(signum)       # frozen while signalling (SIGKILL thaws afterwards)
    mgr.update(resources)      # live update, OCI linux.resources shape
    mgr.stats() -> dict        # runc `events --stats` "data" shape (runc types.Stats)
    mgr.oom_events() -> int    # OOM kills so far (memory.oom_control / memory.events oom_kill)
    mgr.destroy()              # idempotent; rmdir leaf-first, retrying while dying tasks leave
    mgr.container_mounts(mount, cgroupns) -> list[dict]   # expand a "cgroup" mount
    mgr.to_state() -> dict ; open_manager_from_state(d)   # persisted in state.json
    mgr.version                # 1 or 2 (systemd: 2)

Refinements:
- cgroupsPath as runc's cgroupfs driver: absolute = from each hierarchy's root; relative = from this
  process's own cgroup (v1: per hierarchy; v2: its parent, as runc, because the own cgroup holds
  tasks); absent = the container id, relative.
- Hybrid hosts use the v1 driver; the container also gets a directory in the (controller-less)
  cgroup2 hierarchy, as runc does.
- v2 create enables controllers in cgroup.subtree_control of every ancestor from the root down to
  the container's parent (runc's CreateCgroupPath does exactly this); the container's own
  subtree_control is left empty.
- linux.resources devices rules are applied exactly as given; `resources_for_spec(linux)` returns the
  resources with the rules runc really applies (plus linux.devices and runc's default devices).
- container_mounts returns ordered steps {"source","destination","type","options"}; "type":
  "symlink" steps mean: create a symlink at destination pointing to source. Destinations are
  container paths; bind sources are host paths. Options are OCI mount options.
"""


__all__ = ["open_manager", "open_manager_from_state", "resources_for_spec"]


def _driver(version):
    if version == 2:
        from .v2.manager import V2Manager
        return V2Manager
    from .v1.manager import V1Manager
    return V1Manager


def resources_for_spec(linux):
    """linux.resources with the device rules runc really applies (resources.py; imported
    here only when called: `state`, `kill` and `delete` import this package too)."""
    from .resources import resources_for_spec as with_runc_rules
    return with_runc_rules(linux)


def open_manager(cgroups_path, container_id, *, systemd=False, annotations=None):
    """The manager for a container: with `systemd` (--systemd-cgroup) a systemd unit (the
    annotations may set unit properties), else the driver chosen from this host's cgroup mounts."""
    from .hostinfo import UNIFIED, read_host_layout
    layout = read_host_layout()
    if systemd:
        from .systemd.manager import SystemdManager
        return SystemdManager.open(layout, cgroups_path, container_id, annotations)
    return _driver(2 if layout.mode == UNIFIED else 1).open(layout, cgroups_path, container_id)


def open_manager_from_state(state):
    """Reopen a manager from to_state()'s dict without looking at the host again: the driver
    it was made with, so later calls need no --systemd-cgroup."""
    if state.get("driver") == "systemd":
        from .systemd.manager import SystemdManager
        return SystemdManager.from_state(state)
    return _driver(state["version"]).from_state(state)


def freezer_file_from_state(state):
    """(file, the value it reads when frozen) for to_state()'s dict, None without a
    freezer: the container's status (csrc/container.c oci_container_status) asks on
    every `state`/`list`, so this imports no driver."""
    if state["version"] == 2:
        return state["path"] + "/cgroup.freeze", "1"
    freezer = next((p for key, p in state["paths"].items() if "freezer" in key.split(",")), None)
    return (freezer + "/freezer.state", "FROZEN") if freezer else None
