"""Container state on disk: one directory per container under --root, state.json
written atomically, a per-container flock; the status always read from the kernel."""
import errno
import fcntl
import os

from .. import jsonio
from ..cgroups import is_frozen_from_state
from ..errors import AlreadyExists, InvalidArgument, NotFound, RuntimeFailure, StateDamaged

STATE_FILE = "state.json"
START_SOCKET = "start.sock"
_ID_PUNCTUATION = frozenset("_+-.")


def check_id(container_id):
    if not container_id:
        raise InvalidArgument("container id cannot be empty")
    valid = all(ch.isalnum() or ch in _ID_PUNCTUATION for ch in container_id) and container_id.isascii()
    if not valid or container_id in (".", ".."):
        raise InvalidArgument(f"invalid container id format: {container_id}")


def process_start_time(pid):
    """(state letter, start time in clock ticks) of a pid, or None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = data[data.rindex(b")") + 2:].split()
    return fields[0].decode(), int(fields[19])


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
                c.state = jsonio.loads(f.read())
        except FileNotFoundError:
            c.close()
            raise StateDamaged(container_id, "missing (no state.json)") from None
        except OSError as e:
            c.close()
            raise StateDamaged(container_id, f"unreadable: {e.strerror}") from None
        except ValueError:
            c.close()
            raise StateDamaged(container_id, "corrupt") from None
        if not isinstance(c.state, dict) or not isinstance(c.state.get("config"), dict):
            c.close()
            raise StateDamaged(container_id, "corrupt") from None
        return c

    def _open(self):
        try:
            self.dir_fd = os.open(self.dir, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        except (FileNotFoundError, NotADirectoryError):
            raise FileNotFoundError(self.dir) from None

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
        pid = self.state.get("pid", 0)
        info = process_start_time(pid) if pid else None
        return info is not None and info[0] not in ("Z", "X") and info[1] == self.state.get("init_start_time")

    def created(self):
        """Not yet started: the init still waits on its start socket."""
        try:
            os.stat(START_SOCKET, dir_fd=self.dir_fd)
            return True
        except FileNotFoundError:
            return False

    def status(self):
        if not self.state.get("pid") or self.state.get("creating"):
            return "creating"
        if not self.init_alive():
            return "stopped"
        if self.created():
            return "created"
        if self.state.get("cgroup") and is_frozen_from_state(self.state["cgroup"]):
            return "paused"
        return "running"

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
