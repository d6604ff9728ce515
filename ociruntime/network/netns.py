"""Run a little code inside another process's network namespace, on this thread only.

setns(CLONE_NEWNET) changes just the calling thread, so other threads are unaffected; a
netlink or inet socket opened inside keeps that namespace after we switch back.
"""
import contextlib
import ctypes
import os

from ociruntime.errors import RuntimeFailure

CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)


def open_netns(pid):
    """An fd for the network namespace of `pid`; a clear error if the process is gone."""
    try:
        return os.open(f"/proc/{pid}/ns/net", os.O_RDONLY | os.O_CLOEXEC)
    except (FileNotFoundError, ProcessLookupError):
        raise RuntimeFailure(f"process {pid} does not exist: container not running?") from None


def netns_inode(pid):
    """Identity of the namespace of `pid` (None if the process is gone)."""
    try:
        return os.stat(f"/proc/{pid}/ns/net").st_ino
    except (FileNotFoundError, ProcessLookupError):
        return None


def shares_our_netns(pid):
    return netns_inode(pid) == os.stat("/proc/thread-self/ns/net").st_ino


def _setns(fd):
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, os.strerror(errno))


@contextlib.contextmanager
def entered(netns_fd):
    """Switch this thread into `netns_fd` for the block, then back."""
    home = os.open("/proc/thread-self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
    try:
        _setns(netns_fd)
        try:
            yield
        finally:
            _setns(home)
    finally:
        os.close(home)
