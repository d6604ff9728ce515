"""`exec -t` without --console-socket, as runc: the caller's terminal (a pty here) is
proxied to the process's own pty; a non-root --user owns that pty; stdin need not be
the terminal; a caller without any terminal is refused."""
import json
import os
import pty
import select
import subprocess
import time

import pytest


def on_a_terminal(runtime, *args, stdin_null=False, typed=b""):
    """Run `ociruntime ARGS` with a new pty as its controlling terminal (stdio too, but
    stdin /dev/null when asked): (exit code, what the terminal showed). `typed` is typed
    once the process has shown READY (input typed before the proxy's raw mode is flushed)."""
    pid, master = pty.fork()
    if pid == 0:
        try:
            if stdin_null:
                os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
            os.execv(runtime.cmd[0], runtime.cmd + ["--root", runtime.root, *args])
        finally:
            os._exit(127)
    shown = b""
    deadline = time.monotonic() + 30
    try:
        while time.monotonic() < deadline:
            if not select.select([master], [], [], 1)[0]:
                continue
            try:
                data = os.read(master, 4096)
            except OSError:               # EIO: the other side is gone
                break
            if not data:
                break
            shown += data
            if typed and b"READY" in shown:
                os.write(master, typed)
                typed = b""
        else:
            os.kill(pid, 9)
            pytest.fail(f"exec -t did not finish; the terminal showed {shown!r}")
    finally:
        os.close(master)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]), shown.decode().replace("\r\n", "\n")


def test_exec_t_proxies_the_callers_terminal(runtime, container):
    code, shown = on_a_terminal(runtime, "exec", "-t", container.id, "sh", "-c",
                                "echo READY; read line; echo got-$line; tty; test -t 0 && test -t 1 && echo BOTH-TTY; exit 3",
                                typed=b"hello\r")
    assert code == 3
    lines = shown.split("\n")
    assert "got-hello" in lines and "BOTH-TTY" in lines
    assert any(line.startswith("/dev/pts/") for line in lines)        # the container's own devpts


def test_exec_t_pty_belongs_to_a_non_root_user(runtime, container):
    code, shown = on_a_terminal(runtime, "exec", "-t", "--user", "1000:1000", container.id,
                                "sh", "-c", 'stat -c "%u:%g %a" $(tty); id -u')
    assert code == 0
    assert shown.split() == ["1000:5", "620", "1000"]                # devpts' gid=5 and mode stay


def test_exec_t_with_stdin_not_a_terminal(runtime, container):
    code, shown = on_a_terminal(runtime, "exec", "-t", container.id, "sh", "-c", "tty && echo FINE",
                                stdin_null=True)
    assert code == 0 and shown.split()[-1] == "FINE"


def test_exec_t_without_any_terminal_is_refused(runtime, container):
    res = subprocess.run(runtime.cmd + ["--root", runtime.root, "exec", "-t", container.id, "true"],
                         stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30, start_new_session=True)
    assert res.returncode == 255 and res.stderr.startswith("ociruntime: open /dev/tty: No such device or address")
    assert json.loads(runtime("ps", "--format", "json", container.id).stdout) == [container.pid]
