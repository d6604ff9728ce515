"""`-it`: docker gets a terminal (a pty made here), the runtime gets a console socket; the
container's stdin/stdout is a pty whose size follows the outer terminal's."""
import fcntl
import os
import pty
import select
import struct
import subprocess
import termios
import time

import pytest

pytestmark = pytest.mark.engines

ROWS, COLS = 31, 97
# docker sizes the console after start (busybox prints no rows while it is 0x0): wait for it
SIZE = "tty; for i in $(seq 50); do stty -a 2>/dev/null | grep -q rows && break; sleep 0.1; done; stty -a | head -1"
SIZE_LINE = f"rows {ROWS}; columns {COLS};"


def run_in_pty(cmd, env, timeout=60):
    """Run `cmd` with a ROWSxCOLS terminal as stdin/stdout/stderr; its exit code and output."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
    proc = subprocess.Popen(cmd, env=env, stdin=slave, stdout=slave, stderr=slave, start_new_session=True)
    os.close(slave)
    out = b""
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(master, 4096)
                except OSError:  # EIO: every slave fd is closed
                    break
                if not chunk:
                    break
                out += chunk
            elif proc.poll() is not None:
                break
        return proc.wait(timeout=10), out.decode(errors="replace").replace("\r\n", "\n")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)


def test_run_it(docker):
    code, out = run_in_pty(["docker", "run", "--rm", "-it", "--pull", "never", "--network", "none", "bb",
                            "sh", "-c", SIZE + "; exit 6"], docker.env)
    assert code == 6, out
    assert "/dev/pts/0\n" in out and SIZE_LINE in out


def test_exec_it(docker):
    name = docker.name()
    docker("run", "-d", "--pull", "never", "--network", "none", "--name", name, "bb", "sleep", "1000")
    code, out = run_in_pty(["docker", "exec", "-it", name, "sh", "-c", SIZE + "; echo $TERM"], docker.env)
    assert code == 0, out
    lines = out.strip("\x00").splitlines()
    assert lines[0].startswith("/dev/pts/") and SIZE_LINE in lines[1] and lines[2] == "xterm", out
