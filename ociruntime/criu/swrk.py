"""One CRIU RPC session: `criu swrk FD` started with one end of a SOCK_SEQPACKET
socketpair, a request sent, then CRIU's answers read until the final one. On the way
CRIU asks (notifications, with notify_scripts) at each stage, and we answer after
doing what that stage needs (hooks, the pty master to pass on)."""
import os

from ..errors import RuntimeFailure
from . import protobuf, rpc

_RECV_SIZE = 10 * 4096
_LOG_LINES = 3


class CriuError(RuntimeFailure):
    """CRIU is missing, could not run, or failed: the message ends with the last lines
    of its log when it wrote one."""


def log_tail(path, lines=_LOG_LINES):
    """The last `lines` lines of a CRIU log worth reading (its Error lines, else the
    last ones), joined on one line; "" if there is no log."""
    try:
        with open(path, "rb") as f:
            f.seek(max(0, os.fstat(f.fileno()).st_size - 65536))
            text = f.read().decode(errors="replace").splitlines()
    except OSError:
        return ""
    errors = [line.strip() for line in text if "Error" in line]
    picked = (errors or [line.strip() for line in text if line.strip()])[-lines:]
    return " | ".join(picked)


def find_criu(path):
    """The CRIU binary the global --criu flag names (a bare name is looked up on PATH)."""
    import shutil
    found = shutil.which(path) if os.sep not in path else (path if os.access(path, os.X_OK) else None)
    if not found or not os.path.isfile(found):
        raise CriuError(f"criu binary {path!r} not found (install CRIU, or name it with --criu PATH)")
    return found


class Session:
    """A running `criu swrk`. pass_fds: fds CRIU inherits at the same numbers
    (namespace files for inherit_fd). own_stdio: our stdio is its stdio (restore:
    inherit_fd hands the restored tasks our fds 0-2); else /dev/null, as runc gives a
    dump's CRIU (a pre-dump's CRIU, which waits for a next request, complains on stderr
    when we close the session after its answer). on_start(pid): called before the
    request goes out (restore: put CRIU into the container's cgroup, where it restores
    the tasks)."""

    def __init__(self, criu, *, pass_fds=(), on_start=None, log_path=None, own_stdio=True):
        """Without log_path (a probe: VERSION, FEATURE_CHECK) CRIU's stdout and stderr,
        where it logs then, go to a memfd that fail() quotes."""
        import _socket
        self.log_path = log_path
        self.output = -1 if log_path else os.memfd_create("criu-output", os.MFD_CLOEXEC)
        self.ours, theirs = _socket.socketpair(_socket.AF_UNIX, _socket.SOCK_SEQPACKET)
        self.pid = 0
        try:
            for fd in (theirs.fileno(), *pass_fds):
                os.set_inheritable(fd, True)
            try:
                if self.output >= 0:
                    actions = [(os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
                               (os.POSIX_SPAWN_DUP2, self.output, 2)]
                elif own_stdio:
                    actions = []
                else:
                    actions = [(os.POSIX_SPAWN_OPEN, fd, os.devnull, os.O_RDWR, 0) for fd in range(3)]
                self.pid = os.posix_spawn(criu, [criu, "swrk", str(theirs.fileno())], os.environ,
                                          file_actions=actions)
            except OSError as e:
                raise CriuError(f"cannot run {criu}: {e.strerror}") from None
            finally:
                theirs.close()
                for fd in pass_fds:
                    os.set_inheritable(fd, False)
            if on_start:
                on_start(self.pid)
        except BaseException:
            self.close()
            raise

    def fail(self, what):
        tail = log_tail(self.log_path) if self.log_path else self._output_tail()
        if self.log_path:
            where = f" (log {self.log_path}: {tail})" if tail else f" (log {self.log_path})"
        else:
            where = f" (criu said: {tail})" if tail else ""
        raise CriuError(f"criu {what}{where}")

    def _output_tail(self):
        if self.output < 0:
            return ""
        os.lseek(self.output, 0, os.SEEK_SET)
        lines = [line.strip() for line in os.read(self.output, 65536).decode(errors="replace").replace("\0", "").splitlines()]
        return " | ".join([line for line in lines if line][-_LOG_LINES:])

    def _send(self, request):
        try:
            self.ours.send(protobuf.encode(rpc.REQ, request))
        except OSError as e:
            self.fail(f"is gone: {e.strerror}")

    def _recv(self):
        """(response, fds passed with it)."""
        import array
        import _socket
        fds = array.array("i")
        try:
            data, ancdata, _flags, _addr = self.ours.recvmsg(_RECV_SIZE, _socket.CMSG_SPACE(4 * fds.itemsize))
        except OSError as e:
            self.fail(f"is gone: {e.strerror}")
        for level, kind, payload in ancdata:
            if level == _socket.SOL_SOCKET and kind == _socket.SCM_RIGHTS:
                fds.frombytes(payload[:len(payload) - len(payload) % fds.itemsize])
        if not data:
            self.fail("exited without an answer")
        return protobuf.decode(rpc.RESP, data), list(fds)

    def call(self, request, on_notify=None):
        """Send `request`; answer notifications with on_notify(script, pid, fds) (then
        "go on"); the final response. CriuError if CRIU reports a failure."""
        self._send(request)
        while True:
            resp, fds = self._recv()
            if not resp.get("success"):
                for fd in fds:
                    os.close(fd)
                kind = rpc.REQUEST_NAMES.get(request["type"], str(request["type"]))
                said = resp.get("cr_errmsg") or (os.strerror(resp["cr_errno"]) if resp.get("cr_errno") else "")
                self.fail(f"{kind} failed" + (f": {' '.join(said.split())}" if said else ""))
            if resp.get("type") != rpc.NOTIFY:
                for fd in fds:
                    os.close(fd)
                return resp
            notify = resp.get("notify") or {}
            try:
                if on_notify:
                    on_notify(notify.get("script", ""), notify.get("pid", 0), fds)
            finally:
                for fd in fds:
                    os.close(fd)
            self._send({"type": rpc.NOTIFY, "notify_success": True})

    def finish(self):
        """Close our end and wait for CRIU: its exit status."""
        import _socket
        try:
            self.ours.shutdown(_socket.SHUT_WR)
        except OSError:
            pass
        return self.close()

    def close(self):
        self.ours.close()
        if self.output >= 0:
            os.close(self.output)
            self.output = -1
        status = 0
        if self.pid:
            try:
                status = os.waitpid(self.pid, 0)[1]
            except ChildProcessError:
                pass
            self.pid = 0
        return status


def version(criu):
    """(major, minor, sublevel) of the CRIU binary, asked over RPC (CRIU 3.0+)."""
    session = Session(criu)
    try:
        resp = session.call({"type": rpc.VERSION})
    finally:
        session.finish()
    v = resp.get("version") or {}
    return v.get("major_number", 0), v.get("minor_number", 0), v.get("sublevel", 0)


def features(criu, wanted):
    """The subset of `wanted` (criu_features names) this CRIU and kernel support."""
    session = Session(criu)
    try:
        resp = session.call({"type": rpc.FEATURE_CHECK, "features": {name: True for name in wanted}})
    finally:
        session.finish()
    have = resp.get("features") or {}
    return {name for name in wanted if have.get(name)}
