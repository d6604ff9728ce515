"""`run`: create + start, then (in the foreground) wait for the init, forwarding
signals, and exit with its status (128+N when killed by signal N), as runc does.
A tty without --console-socket is proxied to our own terminal, like runc."""
import os

from ..container import lifecycle
from ..container.signals import exit_code, forward_signals


def run(root, container_id, o, log, trace):
    pair = None
    if not o["detach"] and not o["console_socket"]:
        from ..container.console import console_pair
        pair = console_pair()
    try:
        c = lifecycle.create(root, container_id, o["bundle"], pid_file=o["pid_file"],
                             console_socket=o["console_socket"], console=pair[1] if pair else None,
                             no_pivot=o["no_pivot"], preserve_fds=o["preserve_fds"], log=log, trace=trace)
    except BaseException:
        if pair:
            pair[0].close()
            pair[1].close()
        raise
    pid = c.state["pid"]
    master = None
    if pair:
        pair[1].close()
        if c.state["config"]["process"].get("terminal"):
            from ..container.console import receive_master
            master = receive_master(pair[0])
        pair[0].close()
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
    if master is not None:
        from ..container.console import proxy_terminal
        proxy_terminal(master)
    status = _reap(pid)
    if trace:
        trace("exited")
    if not o["keep"]:
        lifecycle.delete(root, container_id, True, log.warning)
        if trace:
            trace("deleted")
    return exit_code(status)


def _reap(pid):
    """The init is our child (CLONE_PARENT): wait for it."""
    try:
        return os.waitpid(pid, 0)[1]
    except ChildProcessError:
        return 0
