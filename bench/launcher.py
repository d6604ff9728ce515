"""Client of launcher.c, the small fork server every timed runtime call is spawned from, so
that wait4's ru_maxrss is the runtime's own peak RSS (a child forked from the Python bench
would report at least the bench's RSS, which is larger than crun's or runc's)."""
import itertools
import os
import subprocess
from dataclasses import dataclass

import spawn

SOURCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "launcher.c")
RSS_METHOD = "wait4 ru_maxrss of the runtime process, forked from a small C fork server (bench/launcher.c)"


def build(workdir):
    """Compile launcher.c into workdir: (binary, None) or (None, why not)."""
    binary = os.path.join(workdir, "launcher")
    try:
        done = subprocess.run(["cc", "-O2", "-o", binary, SOURCE], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, f"cannot compile {SOURCE}: {exc}"
    if done.returncode != 0:
        return None, f"cannot compile {SOURCE}: {done.stderr.strip()[:300]}"
    return binary, None


@dataclass
class Handle:
    """A call the launcher started."""
    argv: list
    tag: str
    pid: int


class LauncherDied(Exception):
    """The fork server exited or broke the protocol: the bench cannot go on."""


class Launcher:
    rss_method = RSS_METHOD

    def __init__(self, binary, errdir, pass_fds=()):
        os.makedirs(errdir, exist_ok=True)
        self.errdir = errdir
        self._tags = itertools.count()
        self._proc = subprocess.Popen([binary, errdir], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                      pass_fds=tuple(pass_fds), process_group=0, text=True, bufsize=1)

    def spawn(self, argv, mntns_fd=None):
        tag = f"c{next(self._tags)}"
        self._send("S", tag, str(-1 if mntns_fd is None else mntns_fd), *argv)
        return Handle(argv, tag, int(self._receive("P", tag)[0]))

    def wait(self, handle, timeout_s):
        self._send("W", handle.tag, str(-1 if timeout_s is None else int(timeout_s * 1000)))
        status, elapsed_ns, maxrss_kb, timed_out = self._receive("D", handle.tag)
        stderr = self._take_stderr(handle.tag)
        if timed_out == "1":
            stderr += f"\nbench: killed after {timeout_s:g} s timeout"
        return spawn.Call(handle.argv, os.waitstatus_to_exitcode(int(status)), int(elapsed_ns), int(maxrss_kb), stderr)

    def close(self):
        """EOF makes the launcher kill and reap any call still running, then exit."""
        try:
            self._proc.stdin.close()
        except OSError:
            pass
        try:
            self._proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()

    def _send(self, *fields):
        try:
            self._proc.stdin.write("\t".join(fields) + "\n")
        except OSError as exc:
            raise LauncherDied(f"launcher: {exc}") from None

    def _receive(self, kind, tag):
        line = self._proc.stdout.readline()
        fields = line.rstrip("\n").split("\t")
        if fields[0] == "E":
            raise spawn.CallFailed(f"launcher: {' '.join(fields[2:])}")
        if fields[:2] != [kind, tag]:
            raise LauncherDied(f"launcher: expected {kind} {tag}, got {line.strip() or 'EOF'}")
        return fields[2:]

    def _take_stderr(self, tag):
        path = os.path.join(self.errdir, tag)
        try:
            with open(path, errors="replace") as f:
                text = f.read()
            os.unlink(path)
        except OSError:
            text = ""
        return text
