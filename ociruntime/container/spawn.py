"""The runtime's side of csrc/spawn.c: fork the stages, drive the sync protocol."""
import os
import _signal as signal

from ..errors import SpawnError


def sync_word(word):
    """A word of the runtime <-> init protocol (lib.OCI_SYNC_*): csrc/ociruntime.h's table,
    the one definition for C and Python."""
    from .._core import ffi, lib
    return ffi.string(lib.oci_sync_words[word]).decode()


def init_error(text):
    """The MSG of the init's "error MSG" report (or text as it is), as the one-line error:
    the exec stub (csrc/stub/exec_stub.c) has no strerror and ends a failed execve with
    "errno N"."""
    from .._core import lib
    prefix = sync_word(lib.OCI_SYNC_ERROR) + " "
    if not text.startswith(prefix):
        return text
    head, sep, number = text[len(prefix):].rpartition(": errno ")
    return f"{head}: {os.strerror(int(number))}" if sep and number.isdigit() else text[len(prefix):]


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
        from .._core import lib
        data = os.read(self.fd, 1 << 16).decode(errors="replace")
        if data.split(" ", 1)[0] == sync_word(lib.OCI_SYNC_ERROR):
            raise SpawnError(init_error(data))
        return data

    def expect(self, word):
        """The payload of the next message, which must be `word`'s (lib.OCI_SYNC_*)."""
        msg, name = self.recv(), sync_word(word)
        if msg.split(" ", 1)[0] != name:
            raise SpawnError(f"container init exited during set-up (expected {name!r}, got {msg[:40]!r})")
        return msg[len(name) + 1:]

    def send(self, word, payload=None):
        name = sync_word(word)
        os.write(self.fd, (name if payload is None else f"{name} {payload}").encode())

    def release_stage1(self, before_go=None, trace=None):
        """Stage 1 (in its cgroups already: plan.set_cgroup_placement) may get its id
        maps before it goes on; returns the pid of the process it then clones."""
        from .._core import lib
        self.expect(lib.OCI_SYNC_STAGE1)
        if trace:
            trace("fork")
        if before_go:
            before_go(self.stage1)
        self.send(lib.OCI_SYNC_GO)
        self.init_pid = int(self.expect(lib.OCI_SYNC_PID))
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
