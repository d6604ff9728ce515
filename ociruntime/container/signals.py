"""Signal forwarding for foreground `run` and `exec`: what the runtime receives,
the container's process gets (runc forwards all but these)."""
import _signal as signal
import os

from ..errors import InvalidArgument

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


def parse_signal(text):
    """SIGTERM, TERM, 15, RTMIN+3 -> a signal number (runc accepts the same); 0, the
    kernel's "may I signal it" probe, only as a number, as runc."""
    t = text.upper()
    if t.isdigit():
        num = int(t)
        if num == 0:
            return 0
    else:
        t = t if t.startswith("SIG") else "SIG" + t
        if t.startswith("SIGRTMIN+") and t[9:].isdigit():
            num = signal.SIGRTMIN + int(t[9:])
        elif t.startswith("SIGRTMAX-") and t[9:].isdigit():
            num = signal.SIGRTMAX - int(t[9:])
        else:
            num = getattr(signal, t, None) if t.isalnum() else None
    if num is None or not 0 < int(num) <= signal.SIGRTMAX:
        raise InvalidArgument(f"invalid signal: {text}")
    return int(num)
