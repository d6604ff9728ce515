"""Container state on disk: one directory per container under --root, state.json
written atomically, a per-container flock; the status always read from the kernel.

The state directory is a contract between `create` (which writes it), the Python layer
and the C front door (csrc/frontdoor/main.c, the `ociruntime` command, which serves
`state`, `start`, `kill` and `delete` from it without Python):

    ROOT/ID/                  mode 0711; ID as check_id() allows, at most 255 bytes;
                              never a symlink (refused). flock(LOCK_EX) on the directory
                              itself is the per-container lock of every command but
                              `state`/`list`; a deleted directory (st_nlink 0) is gone.
    ROOT/ID/state.json        one JSON object, at most STATE_MAX bytes, replaced atomically:
        id, bundle, rootfs, created      strings
        annotations                      object of strings (config.json's)
        config                           config.json as created (never re-read from the bundle)
        pid, init_start_time             the init: its host pid and /proc/PID/stat start time;
                                         the container is alive while both still match
        creating                         present while create is still at work
        cgroup                           the driver's to_state(): {"version": 2, "path",
                                         "mountpoint"} or {"version": 1, "paths": {hierarchy:
                                         dir}, "mountpoints": {...}}
        network                          present when `delete` must detach endpoints
    ROOT/ID/start.sock        while it exists the container is "created": the init waits
                              on it; `start` connects, removes it, sends the state
    ROOT/networks/            bridge networking's records (not a container)

Status: "creating" without a pid or while `creating`; "stopped" once the init is gone
(or a zombie, or another process has its pid); "created" while start.sock exists;
"paused" while the cgroup is frozen; else "running" (csrc/container.c).

The front door hands the call to the Python layer, before changing anything, for
every state.json key it does not know, a value of another shape (a systemd cgroup,
say), "creating", poststart hooks (`start`), poststop hooks or a network (`delete`):
a new field here must be added to its list (read_state) only once it serves it."""
import errno
import fcntl
import os

from .. import jsonio
from ..cgroups import freezer_file_from_state
from ..errors import AlreadyExists, InvalidArgument, NotFound, RuntimeFailure, StateDamaged

STATE_FILE = "state.json"
START_SOCKET = "start.sock"
STATE_MAX = 16 << 20  # bytes; csrc/frontdoor/main.c STATE_MAX
MAX_ID_BYTES = 255    # a file name
_STATUS_NAMES = {1: "stopped", 2: "created", 3: "paused", 4: "running"}  # OCI_STATUS_* (csrc/ociruntime.h)
_ID_PUNCTUATION = frozenset("_+-.")


def check_id(container_id):
    if not container_id:
        raise InvalidArgument("container id cannot be empty")
    if len(container_id.encode(errors="surrogateescape")) > MAX_ID_BYTES:
        raise InvalidArgument(f"container id is longer than {MAX_ID_BYTES} bytes")
    valid = all(ch.isalnum() or ch in _ID_PUNCTUATION for ch in container_id) and container_id.isascii()
    if not valid or container_id in (".", ".."):
        raise InvalidArgument(f"invalid container id format: {container_id}")


def process_start_time(pid):
    """(state letter, start time in clock ticks) of a pid, or None if it is gone."""
    from .._core import ffi, lib
    letter, start = ffi.new("char *"), ffi.new("unsigned long long *")
    if lib.oci_proc_start(pid, letter, start) < 0:
        return None
    return letter[0].decode(), start[0]


class StateDir:
    """A container's state directory; held locked while a command works on it."""

    def __init__(self, root, container_id):
        self.root = root
        self.id = container_id
        self.dir = os.path.join(root, container_id)
        self.dir_fd = -1
        self.state = {}

    @classmethod
    def make(cls, root, container_id):
        """Create the state dir: exactly one of two concurrent creates wins."""
        check_id(container_id)
        c = cls(root, container_id)
        try:
            os.makedirs(root, mode=0o711, exist_ok=True)
            os.mkdir(c.dir, 0o711)
        except FileExistsError:
            raise AlreadyExists(container_id) from None
        except OSError as e:
            raise RuntimeFailure(f"cannot create the state directory {c.dir}: {e.strerror}") from None
        c._open_locked()
        return c

    @classmethod
    def load(cls, root, container_id, locked=True):
        """locked=False: the state as last saved, without waiting for the lock, so that
        `state` and `list` answer even while a create (whose hooks may ask) holds it."""
        check_id(container_id)
        c = cls(root, container_id)
        try:
            c._open_locked() if locked else c._open()
        except FileNotFoundError:
            c.close()
            raise NotFound(container_id) from None
        try:
            with open(STATE_FILE, "rb", opener=c._opener) as f:
                data = f.read(STATE_MAX + 1)
            if len(data) > STATE_MAX:
                c.close()
                raise StateDamaged(container_id, f"too large (over {STATE_MAX} bytes)")
            c.state = jsonio.loads(data)
        except FileNotFoundError:
            c.close()
            raise StateDamaged(container_id, "missing (no state.json)") from None
        except OSError as e:
            c.close()
            raise StateDamaged(container_id, f"unreadable: {e.strerror}") from None
        except (ValueError, RecursionError):
            c.close()
            raise StateDamaged(container_id, "corrupt") from None
        if not isinstance(c.state, dict) or not isinstance(c.state.get("config"), dict):
            c.close()
            raise StateDamaged(container_id, "corrupt") from None
        return c

    def _open(self):
        try:
            self.dir_fd = os.open(self.dir, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except OSError as e:
            if e.errno in (errno.ELOOP, errno.ENOTDIR) and os.path.islink(self.dir):
                raise StateDamaged(self.id, "not a directory (a symlink)") from None
            if e.errno in (errno.ENOENT, errno.ENOTDIR):
                raise FileNotFoundError(self.dir) from None
            raise StateDamaged(self.id, f"unreachable: {e.strerror}") from None

    def _open_locked(self):
        self._open()
        fcntl.flock(self.dir_fd, fcntl.LOCK_EX)
        if os.fstat(self.dir_fd).st_nlink == 0:  # deleted while we waited for the lock
            raise FileNotFoundError(self.dir)

    def _opener(self, name, flags):
        return os.open(name, flags | os.O_CLOEXEC, 0o600, dir_fd=self.dir_fd)

    def save(self):
        """Write state.json atomically; a failure (a full disk under --root) names the
        file, and the half-written temporary is removed."""
        tmp = STATE_FILE + ".tmp"
        try:
            with open(tmp, "w", opener=self._opener) as f:
                f.write(jsonio.dumps(self.state))
            os.rename(tmp, STATE_FILE, src_dir_fd=self.dir_fd, dst_dir_fd=self.dir_fd)
        except OSError as e:
            try:
                os.unlink(tmp, dir_fd=self.dir_fd)
            except OSError:
                pass
            raise RuntimeFailure(f"cannot write {os.path.join(self.dir, STATE_FILE)}: {e.strerror}") from None

    def init_alive(self):
        return self.status() not in ("creating", "stopped")

    def status(self):
        """The front door's rule (csrc/container.c oci_container_status), from the same C."""
        s = self.state
        if not s.get("pid") or s.get("creating"):
            return "creating"
        start_time = s.get("init_start_time")
        if not isinstance(start_time, int) or start_time < 0:
            return "stopped"
        from .._core import ffi, lib
        freezer = freezer_file_from_state(s["cgroup"]) if s.get("cgroup") else None
        return _STATUS_NAMES[lib.oci_container_status(self.dir_fd, s["pid"], start_time,
                                                      freezer[0].encode() if freezer else ffi.NULL,
                                                      freezer[1].encode() if freezer else ffi.NULL)]

    def cgroup(self):
        if not self.state.get("cgroup"):
            raise RuntimeFailure(f"container {self.id} has no cgroup (a rootless runtime could not create one)")
        from ..cgroups import open_manager_from_state
        return open_manager_from_state(self.state["cgroup"])

    def remove(self):
        """Remove the state dir (the lock goes with it)."""
        for name in os.listdir(self.dir_fd):
            try:
                os.unlink(name, dir_fd=self.dir_fd)
            except OSError as e:
                if e.errno != errno.ENOENT:
                    raise
        try:
            os.rmdir(self.dir)
        except FileNotFoundError:
            pass
        self.close()

    def close(self):
        if self.dir_fd >= 0:
            os.close(self.dir_fd)
            self.dir_fd = -1


def list_ids(root):
    try:
        return sorted(n for n in os.listdir(root) if os.path.isdir(os.path.join(root, n)) and n != "networks")
    except FileNotFoundError:
        return []


def write_pid_file(path, pid):
    """Atomically, as runc does: containerd reads it as soon as create returns."""
    path = os.path.abspath(path)
    tmp = os.path.join(os.path.dirname(path), "." + os.path.basename(path))
    try:
        with open(tmp, "w") as f:
            f.write(str(pid))
        os.rename(tmp, path)
    except OSError as e:
        raise RuntimeFailure(f"--pid-file {path}: {e.strerror}") from None
