"""Process plumbing for the bench: fork/exec a runtime call straight from Python (for
cleanup, and as the fallback spawner when launcher.c cannot be built), watch container
inits through pidfds, and reap everything we (or our runtimes) start."""
import ctypes
import os
import select
import signal
import time
from dataclasses import dataclass

_libc = ctypes.CDLL(None, use_errno=True)
PR_SET_CHILD_SUBREAPER = 36
CLONE_NEWNS = 0x00020000
MS_REC = 0x4000
MS_PRIVATE = 1 << 18
MS_BIND = 0x1000

# Runtime processes forked but not yet waited for: pid -> pidfd (killed on cleanup).
_inflight = {}


class CallFailed(Exception):
    """A runtime call exited non-zero, was killed, or timed out; str is one line."""


@dataclass
class Call:
    """One finished runtime call."""
    argv: list
    returncode: int
    elapsed_ns: int
    maxrss_kb: int
    stderr: str

    @property
    def elapsed_ms(self):
        return self.elapsed_ns / 1e6

    def check(self):
        """Raise CallFailed unless the call exited 0."""
        if self.returncode != 0:
            detail = self.stderr.strip().splitlines()[-1:] or ["(no stderr)"]
            what = f"{os.path.basename(self.argv[0])} {' '.join(self.argv[3:4] + self.argv[-1:])}"
            raise CallFailed(f"{what}: exit {self.returncode}: {detail[0][:300]}")
        return self


@dataclass
class Spawned:
    """A forked runtime call still running."""
    argv: list
    pid: int
    pidfd: int
    errfd: int
    start_ns: int


def _check(ret, what):
    if ret != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def become_subreaper():
    """Orphaned container inits must be re-parented to us: PID 1 here never reaps them."""
    _check(_libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), "prctl(PR_SET_CHILD_SUBREAPER)")


def setns(fd, nstype):
    _check(_libc.setns(fd, nstype), "setns")


_DEVNULL = os.open(os.devnull, os.O_RDWR | os.O_CLOEXEC)


def spawn(argv, mntns_fd=None):
    """Fork+exec argv in its own process group (a terminal Ctrl-C reaches only the bench,
    which then cleans up); stderr goes to a memfd read back by wait()."""
    errfd = os.memfd_create("bench-stderr", os.MFD_CLOEXEC)
    start = time.perf_counter_ns()
    pid = os.fork()
    if pid == 0:
        _exec_child(argv, mntns_fd, errfd)
    pidfd = os.pidfd_open(pid)
    _inflight[pid] = pidfd
    return Spawned(argv, pid, pidfd, errfd, start)


def _exec_child(argv, mntns_fd, errfd):
    try:
        os.setpgid(0, 0)
        if mntns_fd is not None:
            setns(mntns_fd, CLONE_NEWNS)
        os.dup2(_DEVNULL, 0)
        os.dup2(_DEVNULL, 1)
        os.dup2(errfd, 2)
        os.execv(argv[0], argv)
    except BaseException as exc:  # never return into the bench's code in the child
        os.write(errfd, f"bench: cannot exec {argv[0]}: {exc}\n".encode())
    os._exit(127)


def wait(sp, timeout_s):
    """Wait for a spawned call (killing it after timeout_s) and return its Call."""
    timed_out = not _poll_readable(sp.pidfd, timeout_s)
    if timed_out:
        signal.pidfd_send_signal(sp.pidfd, signal.SIGKILL)
    _, status, rusage = os.wait4(sp.pid, 0)
    end = time.perf_counter_ns()
    del _inflight[sp.pid]
    os.close(sp.pidfd)
    stderr = _read_memfd(sp.errfd)
    if timed_out:
        stderr += f"\nbench: killed after {timeout_s:g} s timeout"
    return Call(sp.argv, os.waitstatus_to_exitcode(status), end - sp.start_ns, rusage.ru_maxrss, stderr)


def run(argv, timeout_s, mntns_fd=None):
    return wait(spawn(argv, mntns_fd), timeout_s)


class ForkSpawner:
    """Fallback spawner: forks from the bench itself, so ru_maxrss is at least the bench's RSS."""
    rss_method = "wait4 ru_maxrss of the runtime forked from the Python bench (floor: the bench's own RSS)"
    spawn = staticmethod(spawn)
    wait = staticmethod(wait)

    def close(self):
        kill_inflight()


def _read_memfd(fd):
    os.lseek(fd, 0, os.SEEK_SET)
    data = b""
    while chunk := os.read(fd, 65536):
        data += chunk
    os.close(fd)
    return data.decode(errors="replace")


def _poll_readable(fd, timeout_s):
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    return bool(poller.poll(None if timeout_s is None else int(timeout_s * 1000)))


def watch_pid(pid):
    """A pidfd for a container init (None if it is already gone)."""
    try:
        return os.pidfd_open(pid)
    except ProcessLookupError:
        return None


def wait_exit(pidfd, pid, timeout_s):
    """Wait until the watched process exits, then reap it if it is our child (as a
    subreaper it is). Returns False on timeout."""
    if pidfd is not None:
        exited = _poll_readable(pidfd, timeout_s)
        os.close(pidfd)
        if not exited:
            return False
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass
    return True


def kill_inflight():
    """Kill and reap every runtime call still running (used on Ctrl-C or failure)."""
    for pid, pidfd in list(_inflight.items()):
        try:
            signal.pidfd_send_signal(pidfd, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass
        os.close(pidfd)
        del _inflight[pid]


def children():
    """PIDs whose parent is this process (runtime calls and re-parented container inits)."""
    me = str(os.getpid())
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        if stat[stat.rindex(")") + 2:].split()[1] == me:
            found.append(int(entry))
    return found


def reap_all(grace_s=2.0):
    """SIGKILL our remaining children (each one a process we or our runtimes started) and
    reap until none is left, so nothing becomes a zombie under a non-reaping PID 1."""
    deadline = time.monotonic() + grace_s
    while True:
        for pid in children():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        while True:
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                break
        if time.monotonic() > deadline:
            return
        time.sleep(0.01)


def private_mount_namespace(binds):
    """Create a private mount namespace with the given (source, target) bind mounts, kept
    alive only by the returned fd: the host's mounts are never touched."""
    status_r, status_w = os.pipe()
    release_r, release_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(status_r)
        os.close(release_w)
        _mount_namespace_child(binds, status_w, release_r)
    os.close(status_w)
    os.close(release_r)
    try:
        status = os.read(status_r, 4096).decode()
        if status != "ok":
            raise OSError(f"private mount namespace: {status or 'setup process died'}")
        return os.open(f"/proc/{pid}/ns/mnt", os.O_RDONLY | os.O_CLOEXEC)
    finally:
        os.close(status_r)
        os.close(release_w)
        os.waitpid(pid, 0)


def _mount_namespace_child(binds, status_w, release_r):
    try:
        _check(_libc.unshare(CLONE_NEWNS), "unshare(CLONE_NEWNS)")
        _check(_libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None), "mount --make-rprivate /")
        for source, target in binds:
            _check(_libc.mount(source.encode(), target.encode(), None, MS_BIND, None),
                   f"mount --bind {source} {target}")
        os.write(status_w, b"ok")
        os.read(release_r, 1)
    except BaseException as exc:
        os.write(status_w, str(exc).encode())
    os._exit(0)
