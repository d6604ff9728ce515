"""What `restore` sets up around CRIU: a mount namespace of its own (CRIU inherits it),
the container's rootfs bound at a mount point (CRIU's root must be one, with a parent
that is not over-mounted), the mount points CRIU will mount on, the bind mounts in
place (a bind inside a bind needs its mount point: runc issue 2748), and CRIU itself
in the container's cgroup (it restores the tasks into its own cgroup's tree).

Mounting needs mount(2), which Python's os module lacks: ctypes, loaded only here."""
import os

from ..errors import RuntimeFailure

MS_BIND = 0x1000
MS_REC = 0x4000
MS_SLAVE = 1 << 19


def _mount(source, target, flags, what):
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.mount(source.encode() if source else None, target.encode(), None, flags, None) < 0:
        err = ctypes.get_errno()
        raise RuntimeFailure(f"restore: {what}: {os.strerror(err)}")


def private_mount_namespace():
    """This process in a mount namespace of its own whose mounts do not propagate back
    to the host: what restore mounts goes away with it and with CRIU."""
    try:
        os.unshare(os.CLONE_NEWNS)
    except AttributeError:  # Python < 3.12
        import ctypes
        if ctypes.CDLL(None, use_errno=True).unshare(0x00020000) < 0:
            raise RuntimeFailure(f"restore: unshare(CLONE_NEWNS): {os.strerror(ctypes.get_errno())}") from None
    except OSError as e:
        raise RuntimeFailure(f"restore: unshare(CLONE_NEWNS): {e.strerror}") from None
    _mount(None, "/", MS_REC | MS_SLAVE, "make / rslave")


def detach(target):
    """Lazily unmount target (MNT_DETACH) in this process's private namespace."""
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.umount2(target.encode(), 2) < 0:
        raise RuntimeFailure(f"restore: unmount {target}: {os.strerror(ctypes.get_errno())}")


def bind(source, target, recursive=False):
    _mount(source, target, MS_BIND | (MS_REC if recursive else 0), f"bind {source} on {target}")


def _is_bind(mount):
    options = mount.get("options") or ()
    return mount.get("type") == "bind" or "bind" in options or "rbind" in options


def _inside(root, destination):
    """destination (a container path) under root, never above it (no .. escapes)."""
    parts = [p for p in os.path.normpath("/" + destination).split("/") if p]
    return os.path.join(root, *parts)


def prepare_restore_mounts(config, root):
    """Mount points for the config's mounts (but not inside a tmpfs: CRIU restores a
    tmpfs's content whole), and the bind mounts bound on them, as runc does."""
    tmpfs = [os.path.normpath("/" + m["destination"]) for m in config.get("mounts", ()) if m.get("type") == "tmpfs"]
    for m in config.get("mounts", ()):
        dest = os.path.normpath("/" + m["destination"])
        if any(dest != t and dest.startswith(t.rstrip("/") + "/") for t in tmpfs):
            continue
        target = _inside(root, dest)
        source_is_file = _is_bind(m) and os.path.exists(m["source"]) and not os.path.isdir(m["source"])
        try:
            if source_is_file:
                os.makedirs(os.path.dirname(target), exist_ok=True)
                if not os.path.lexists(target):
                    os.close(os.open(target, os.O_CREAT | os.O_WRONLY | os.O_CLOEXEC, 0o644))
            else:
                os.makedirs(target, exist_ok=True)
        except OSError as e:
            raise RuntimeFailure(f"restore: mount point {dest}: {e.strerror}") from None
        if _is_bind(m):
            bind(m["source"], target, recursive=True)


def join_cgroup(mgr, pid):
    """Put CRIU (pid) into the container's cgroup before it restores anything."""
    from ..cgroups import files
    tasks, cgroup2_dir = mgr.placement()
    for path in tasks:
        files.write(os.path.dirname(path), "tasks", pid, "restore: cgroup of CRIU")
    if cgroup2_dir:
        files.write(cgroup2_dir, "cgroup.procs", pid, "restore: cgroup of CRIU")
