"""The private mount namespace crun runs in on this hybrid host, set up once per bench.

crun 1.8.1 refuses hybrid mode when /sys/fs/cgroup/unified/cgroup.controllers is non-empty,
and it roots a relative cgroupsPath at each hierarchy's root rather than at its own cgroup.
Inside the namespace an empty file hides that controllers file, and the bench's own cgroup
directory is bind-mounted over each hierarchy whose own cgroup is not the root, so crun's
cgroups land beneath the bench's own cgroup exactly as runc's do. The host is untouched."""
import os

import spawn


def binds_for(hierarchies, empty_file):
    """The (source, target) bind mounts crun needs here; empty when it needs none."""
    binds = []
    hybrid = any(not h.is_v2 for h in hierarchies)
    for h in hierarchies:
        if h.is_v2 and hybrid:
            controllers = os.path.join(h.mountpoint, "cgroup.controllers")
            if _non_empty(controllers):
                binds.append((empty_file, controllers))
        elif not h.is_v2 and h.own_dir != h.mountpoint:
            binds.append((h.own_dir, h.mountpoint))
    return binds


def _non_empty(path):
    try:
        with open(path) as f:
            return bool(f.read().strip())
    except OSError:
        return False


def open_namespace(hierarchies, workdir):
    """(fd of the namespace or None when no bind is needed, the binds made)."""
    empty_file = os.path.join(workdir, "empty")
    open(empty_file, "w").close()
    binds = binds_for(hierarchies, empty_file)
    if not binds:
        return None, binds
    return spawn.private_mount_namespace(binds), binds
