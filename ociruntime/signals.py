"""Signal forwarding for foreground `run` and `exec`: what the runtime receives,
the container's process gets (runc forwards all but these)."""
import _signal as signal
import os

_NOT_FORWARDED = {signal.SIGCHLD, signal.SIGURG, signal.SIGWINCH, signal.SIGKILL, signal.SIGSTOP}


def forward_signals(pid):
    def forward(signum, _frame):
        try:
            os.kill(pid, signum)
        except ProcessLookupError:
            pass
    for sig in range(1, signal.NSIG):
        if sig not in _NOT_FORWARDED:
            try:
                signal.signal(sig, forward)
            except (OSError, ValueError):
                pass


def exit_code(status):
    """A wait status as a shell exit code: 128+N when killed by signal N."""
    code = os.waitstatus_to_exitcode(status)
    return code if code >= 0 else 128 - code
