"""Run a little code inside another process's network namespace, on this thread only.

setns(CLONE_NEWNET) changes just the calling thread, so other threads are unaffected; a
netlink or inet socket opened inside keeps that namespace after we switch back.
"""
import os

from ociruntime.errors import NetworkError

CLONE_NEWNET = 0x40000000


def open_netns(pid):
    """An fd for the network namespace of `pid`; a clear error if the process is gone."""
    try:
        return os.open(f"/proc/{pid}/ns/net", os.O_RDONLY | os.O_CLOEXEC)
    except (FileNotFoundError, ProcessLookupError):
        raise NetworkError(f"process {pid} does not exist: container not running?") from None


def netns_inode(pid):
    """Identity of the namespace of `pid` (None if the process is gone)."""
    try:
        return os.stat(f"/proc/{pid}/ns/net").st_ino
    except (FileNotFoundError, ProcessLookupError):
        return None


def shares_our_netns(pid):
    return netns_inode(pid) == os.stat("/proc/thread-self/ns/net").st_ino


def _setns(fd):
    import ctypes  # only `none` networking and tests come here: ~2 ms of import
    if ctypes.CDLL(None, use_errno=True).setns(fd, CLONE_NEWNET) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, os.strerror(errno))


class entered:
    """`with entered(netns_fd):` switches this thread into `netns_fd` for the block, then back."""

    def __init__(self, netns_fd):
        self._target = netns_fd

    def __enter__(self):
        self._home = os.open("/proc/thread-self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
        try:
            _setns(self._target)
        except BaseException:
            os.close(self._home)
            raise

    def __exit__(self, *exc):
        try:
            _setns(self._home)
        finally:
            os.close(self._home)
