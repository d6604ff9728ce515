"""The runtime's side of csrc/spawn.c: fork the stages, drive the sync protocol."""
import os
import _signal as signal

from ..errors import SpawnError


def init_error(text):
    """The init's "error MSG" report, MSG as the one-line error: the exec stub
    (csrc/stub/exec_stub.c) has no strerror and ends a failed execve with "errno N"."""
    head, sep, number = text[6:].rpartition(": errno ")
    return f"{head}: {os.strerror(int(number))}" if sep and number.isdigit() else text[6:]


class Spawn:
    """The runtime's side of the sync protocol with the stages in csrc/spawn.c
    (stage 1's "pid" always comes before the init's first message)."""

    def __init__(self, plan):
        from .._core import ffi, lib
        pid, sync, err = ffi.new("int *"), ffi.new("int *"), ffi.new("char[]", lib.OCI_ERR_LEN)
        if lib.oci_spawn(plan.c, pid, sync, err, lib.OCI_ERR_LEN) < 0:
            raise SpawnError(ffi.string(err).decode(errors="replace"))
        self.stage1 = pid[0]
        self.fd = sync[0]
        self.init_pid = 0

    def recv(self):
        data = os.read(self.fd, 1 << 16).decode(errors="replace")
        if data.startswith("error "):
            raise SpawnError(init_error(data))
        return data

    def expect(self, word):
        msg = self.recv()
        if msg.split(" ", 1)[0] != word:
            raise SpawnError(f"container init exited during set-up (expected {word!r}, got {msg[:40]!r})")
        return msg[len(word) + 1:]

    def send(self, msg):
        os.write(self.fd, msg.encode())

    def release_stage1(self, before_go=None, trace=None):
        """Stage 1 (in its cgroups already: plan.set_cgroup_placement) may get its id
        maps before it goes on; returns the pid of the process it then clones."""
        self.expect("stage1")
        if trace:
            trace("fork")
        if before_go:
            before_go(self.stage1)
        self.send("go")
        self.init_pid = int(self.expect("pid"))
        self.reap_stage1()
        return self.init_pid

    def reap_stage1(self):
        if self.stage1:
            os.waitpid(self.stage1, 0)
            self.stage1 = 0

    def abort(self):
        """Kill whatever was started (used on every failure path)."""
        for pid in (self.init_pid, self.stage1):
            if pid:
                try:
                    os.kill(pid, signal.SIGKILL)
                    os.waitpid(pid, 0)
                except (ProcessLookupError, ChildProcessError):
                    pass
        self.stage1 = self.init_pid = 0
        self.close()

    def close(self):
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1
