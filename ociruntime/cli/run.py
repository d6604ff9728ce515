"""`run`: create + start, then (in the foreground) wait for the init, forwarding
signals, and exit with its status (128+N when killed by signal N), as runc does."""
import os

from .. import lifecycle
from ..signals import exit_code, forward_signals


def run(root, container_id, o, log, trace):
    c = lifecycle.create(root, container_id, o["bundle"], pid_file=o["pid_file"], console_socket=o["console_socket"],
                         no_pivot=o["no_pivot"], preserve_fds=o["preserve_fds"], log=log, trace=trace)
    pid = c.state["pid"]
    c.close()
    try:
        if not o["detach"]:
            forward_signals(pid)
        lifecycle.start(root, container_id, log.warning)
    except BaseException:
        lifecycle.delete(root, container_id, True, log.warning)
        _reap(pid)
        raise
    if trace:
        trace("started")
    if o["detach"]:
        return 0
    status = _reap(pid)
    if not o["keep"]:
        lifecycle.delete(root, container_id, True, log.warning)
    return exit_code(status)


def _reap(pid):
    """The init is our child (CLONE_PARENT): wait for it."""
    try:
        return os.waitpid(pid, 0)[1]
    except ChildProcessError:
        return 0
