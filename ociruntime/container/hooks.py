"""Hooks run by the runtime itself, in the runtime's namespaces: prestart,
createRuntime, poststart, poststop (the in-container ones run in C)."""
import os
import _signal as signal
import select

from ..errors import HookError


def _wait(pid, timeout):
    """Exit status of pid, or None once timeout (seconds, 0 = none) passes."""
    if timeout:
        pidfd = os.pidfd_open(pid)
        try:
            poller = select.poll()
            poller.register(pidfd, select.POLLIN)
            if not poller.poll(timeout * 1000):
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                return None
        finally:
            os.close(pidfd)
    return os.waitpid(pid, 0)[1]


def _output(fd):
    """What a hook wrote to its stdout or stderr (a memfd: never a pipe it could fill
    or a daemon it forked could hold open), on one line."""
    os.lseek(fd, 0, os.SEEK_SET)
    text = os.read(fd, 4096).decode(errors="replace")
    os.close(fd)
    return " ".join(text.split())


def run_hook(kind, index, hook, state_json):
    """Run one hook with the state on its stdin; HookError when it fails, with what
    the hook said (its stdout and stderr are kept for that, as runc keeps them)."""
    path = hook["path"]
    env = hook.get("env")
    r, w = os.pipe()
    out, err = os.memfd_create("hook-stdout"), os.memfd_create("hook-stderr")
    try:
        pid = os.posix_spawn(path, hook.get("args") or [path], os.environ if env is None else
                             dict(e.split("=", 1) for e in env if "=" in e),
                             file_actions=[(os.POSIX_SPAWN_DUP2, r, 0), (os.POSIX_SPAWN_DUP2, out, 1),
                                           (os.POSIX_SPAWN_DUP2, err, 2)],
                             setsigdef=(signal.SIGPIPE, signal.SIGXFSZ))
    except OSError as e:
        os.close(out)
        os.close(err)
        raise HookError(kind, index, f"{kind} hook #{index} ({path}): {e.strerror}") from None
    finally:
        os.close(r)
    try:
        os.write(w, state_json.encode())
    except BrokenPipeError:
        pass
    finally:
        os.close(w)
    status = _wait(pid, hook.get("timeout", 0))
    said = "".join(f", {name}: {text}" for name, text in (("stdout", _output(out)), ("stderr", _output(err))) if text)
    if status is None:
        raise HookError(kind, index, f"{kind} hook #{index} ({path}): timed out after {hook['timeout']}s{said}")
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        what = f"exit status {code}" if code > 0 else f"killed by signal {-code}"
        raise HookError(kind, index, f"{kind} hook #{index} ({path}): {what}{said}")


def run_hooks(kind, hooks, state_json, warn=None):
    """Run every hook of `kind` in order. With `warn`, a failure is reported
    through it and the rest still run (poststart, poststop: per the spec)."""
    for i, hook in enumerate(hooks.get(kind, ())):
        try:
            run_hook(kind, i, hook, state_json)
        except HookError as e:
            if warn is None:
                raise
            warn(str(e))
