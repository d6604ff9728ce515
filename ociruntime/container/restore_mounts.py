"""What `restore` sets up around CRIU: a mount namespace for the time of the restore
(CRIU inherits it; the caller is back in its own afterwards), the container's rootfs
bound at a mount point (CRIU's root must be one, with a parent that is not
over-mounted), the mount points CRIU will mount on, the bind mounts in place (a bind
inside a bind needs its mount point: runc issue 2748), and CRIU itself in the
container's cgroup (it restores the tasks into its own cgroup's tree).

The namespace is this process's own, not only CRIU's: CRIU opens the image and work
directories through /proc/OURPID/fd, and works in them (its cgroup yard is a tmpfs
mounted there), which the kernel allows only on mounts of CRIU's namespace.

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


CLONE_NEWNS = 0x00020000


class PrivateMounts:
    """with PrivateMounts(): this process in a mount namespace of its own whose mounts
    do not propagate to the host; on leaving, back in the namespace (and working
    directory) it had: what was mounted in between goes away with the namespace."""

    def __enter__(self):
        self.home = os.open("/proc/self/ns/mnt", os.O_RDONLY | os.O_CLOEXEC)
        self.cwd = os.open(".", os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            _call("unshare", CLONE_NEWNS, what="unshare(CLONE_NEWNS)")
            _mount(None, "/", MS_REC | MS_SLAVE, "make / rslave")
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc_info):
        try:
            _call("setns", self.home, CLONE_NEWNS, what="return to the caller's mount namespace")
            os.fchdir(self.cwd)
        finally:
            os.close(self.home)
            os.close(self.cwd)


def _call(name, *args, what):
    import ctypes
    if getattr(ctypes.CDLL(None, use_errno=True), name)(*args) < 0:
        raise RuntimeFailure(f"restore: {what}: {os.strerror(ctypes.get_errno())}")


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
    """Put CRIU (pid) into the container's cgroup before it restores anything: the
    driver's enter (systemd: the scope started with it), then its directories."""
    from ..cgroups import files
    mgr.enter(pid)
    tasks, cgroup2_dir = mgr.placement()
    for path in tasks:
        files.write(os.path.dirname(path), "tasks", pid, "restore: cgroup of CRIU")
    if cgroup2_dir:
        files.write(cgroup2_dir, "cgroup.procs", pid, "restore: cgroup of CRIU")
