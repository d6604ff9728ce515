"""Container state on disk: one directory per container under --root, a per-container
flock, and the status always read from the kernel.

The state directory, <root>/<id>/ (this is the one description of its layout, a
contract between `create`, which writes it, the Python layer and the C front door,
csrc/frontdoor/main.c, the `ociruntime` command, which serves `state`, `start`, `kill`
and `delete` from it without Python). Mode 0711; the id as check_id() allows, at most
255 bytes; never a symlink (refused); a deleted directory (st_nlink 0) is gone.

  state.json      THE record of the container: one JSON object of at most STATE_MAX
                  bytes, always replaced whole
                  (written to state.json.tmp, then put in its place by oci_replace_file,
                  csrc/container.c: an exchange, or a rename when there is none), so a reader or a
                  runtime killed at any instant sees the old record or the new one.
                  Fields, and the step of `create` (lifecycle.create) that writes them:
    id, bundle, rootfs, created, annotations, config
                  step 1 ("record"), before anything that can outlive the call is made.
                  `update` rewrites config.linux.resources (and adds device_rules).
    creating      true from step 1 until create's last write ("state written") drops
                  it: a record that still has it is a container whose create has not
                  finished, or was killed (status "creating").
    cgroup        step 1, before any cgroup directory is made: the cgroup driver's own
                  dict (mgr.to_state(), opaque here; open_manager_from_state reopens it).
                  Dropped before step 2 by a rootless create that may not make one.
    network       step 1: what create will attach, {"mode", "network"} (only with the
                  org.ociruntime.network annotation); the last write: attach's record
                  (+ "ip", "ifname", "ports"); `network connect` on a container without
                  one: {"mode": "connected"}. Endpoints are freed by container id.
    pid, init_start_time
                  step 2 ("pid recorded"), as soon as the init is cloned and before its
                  mounts, network or hooks: its host pid and its start time in clock
                  ticks (/proc/PID/stat field 22), so that a reused pid is never taken
                  for the init.
  recovery.json   what `delete --force` needs when state.json is damaged (garbage, empty,
                  truncated, missing): {"cgroup", "network", "pid", "init_start_time"} as
                  in state.json. Written just before state.json at step 1, so it exists
                  before anything is made, and at step 2 only for a container without a
                  cgroup (with one, killing the cgroup kills the init, so the write is
                  saved); and by `network connect` when it adds the network
                  field. Read by nothing else.
  start.sock      the created init's start socket (csrc/spawn.c wait_for_start): present
                  = not started yet; `start` connects to it, then unlinks it.
  state.json.tmp, recovery.json.tmp
                  a write under way, or the old record between the exchange and its
                  unlink (or either cut short by a kill); ignored, removed with the dir.

Nothing else of a container outlives a call: its mounts are made by its init inside its
own mount namespace and go with it (without one, the host's table is never changed);
`start` and `exec` write no record (what they make lives in the recorded cgroup).

The lock: flock(LOCK_EX) on the directory's fd, held by every command that changes the
container (create for its whole run); `state` and `list` read without it.

Removal (StateDir.remove, `delete`): only once everything the records name is freed;
state.json first, recovery.json last, then the directory. So a directory with neither
record holds nothing else of the container (a create killed before step 1, or a delete
killed while removing files), and `delete` removes it; a state.json without
recovery.json is never left by this runtime (an older version's dir): `delete --force`
refuses it, as it cannot tell what to free.

Status, derived each time (the record says only what was made): "creating" while the
record has `creating` (or no pid: older records); else "stopped" when the recorded pid
is gone, a zombie, or another process (start time differs); "created" while
start.sock exists (races: a `start` killed between its connect and its unlink leaves a
running container that says "created"); "paused" when the cgroup is frozen; else
"running" (csrc/container.c oci_container_status, for both paths).

The front door hands the call to the Python layer, before changing anything, for
every state.json key it does not know, a value of another shape (a systemd cgroup,
say), "creating", poststart hooks (`start`), poststop hooks or a network (`delete`):
a new field here must be added to its list (read_state) only once it serves it.
ROOT/networks/ holds bridge networking's records (not a container)."""

import errno
import fcntl
import os

from .. import jsonio
from ..cgroups import freezer_file_from_state
from ..errors import AlreadyExists, InvalidArgument, NotFound, RuntimeFailure, StateDamaged

STATE_FILE = "state.json"
RECOVERY_FILE = "recovery.json"
RECOVERY_FIELDS = ("cgroup", "network", "pid", "init_start_time")
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
        self.damaged = None  # load_for_removal: the StateDamaged that state.json raised

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
        try:
            c._open_locked()
        except FileNotFoundError:  # a `delete` took the record-less dir for a killed create's
            c.close()
            raise RuntimeFailure(f"container {container_id}: deleted while being created") from None
        return c

    @classmethod
    def load(cls, root, container_id, locked=True):
        """locked=False: the state as last saved, without waiting for the lock, so that
        `state` and `list` answer even while a create (whose hooks may ask) holds it."""
        c = cls._opened(root, container_id, locked)
        try:
            c.state = c._read(STATE_FILE)
        except StateDamaged:
            c.close()
            raise
        return c

    @classmethod
    def load_for_removal(cls, root, container_id):
        """The container as `delete` sees it, locked: its record; or when state.json is
        damaged (c.damaged says how), recovery.json's fields, or {} when neither record
        is there (nothing was made: see the module's doc). StateDamaged when what the
        container holds is unknown: recovery.json unreadable too, or absent beside a
        state.json (never so from this runtime: recovery.json is written first and
        removed last; a state dir from an older version, or one edited by hand)."""
        c = cls._opened(root, container_id, True)
        try:
            c.state = c._read(STATE_FILE)
            return c
        except StateDamaged as e:
            c.damaged = e
        try:
            c.state = c._read(RECOVERY_FILE, whole=False)
        except StateDamaged as e:
            recovery_missing = e.why.startswith("missing")
            if not (recovery_missing and c.damaged.why.startswith("missing")):
                c.close()
                why = f"there is no {RECOVERY_FILE}" if recovery_missing else f"{RECOVERY_FILE} is {e.why}"
                raise StateDamaged(container_id, f"{c.damaged.why}, and {why}: what the container holds is "
                                   f"unknown; its state dir {c.dir} is kept") from None
            c.state = {}
        return c

    @classmethod
    def _opened(cls, root, container_id, locked):
        check_id(container_id)
        c = cls(root, container_id)
        try:
            c._open_locked() if locked else c._open()
        except FileNotFoundError:
            c.close()
            raise NotFound(container_id) from None
        return c

    def _read(self, name, whole=True):
        """A record's JSON object; StateDamaged naming the file when it cannot be read.
        whole: a state.json (it has the config)."""
        try:
            with open(name, "rb", opener=self._opener) as f:
                data = f.read(STATE_MAX + 1)
            if len(data) > STATE_MAX:
                raise StateDamaged(self.id, f"too large (over {STATE_MAX} bytes)")
            record = jsonio.loads(data)
        except FileNotFoundError:
            raise StateDamaged(self.id, f"missing (no {name})") from None
        except OSError as e:
            raise StateDamaged(self.id, f"unreadable: {e.strerror}") from None
        except (ValueError, RecursionError):
            raise StateDamaged(self.id, "corrupt") from None
        if not isinstance(record, dict) or (whole and not isinstance(record.get("config"), dict)):
            raise StateDamaged(self.id, "corrupt")
        return record

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

    def _replace(self, name, record):
        """Write a record whole, atomically (temp file, then csrc/container.c
        oci_replace_file: an exchange, as a rename over the old record makes ext4 write
        the new one out first). No fsync: the record must
        outlive the runtime being killed, which the page cache does; a machine crash
        takes the containers with it (and --root is under /run, usually a tmpfs; fsync
        would cost ~3.5 ms a write on this machine's ext4 /run). A failure
        (a full disk under --root) names the file, and the half-written temporary is removed."""
        from .._core import ffi, lib
        tmp = name + ".tmp"
        try:
            with open(tmp, "w", opener=self._opener) as f:
                f.write(jsonio.dumps(record))
            if lib.oci_replace_file(self.dir_fd, tmp.encode(), name.encode()) < 0:
                raise OSError(ffi.errno, os.strerror(ffi.errno))
        except OSError as e:
            try:
                os.unlink(tmp, dir_fd=self.dir_fd)
            except OSError:
                pass
            raise RuntimeFailure(f"cannot write {os.path.join(self.dir, name)}: {e.strerror}") from None

    def save(self, recovery=False):
        """Replace state.json; recovery: recovery.json first (create, when what the
        container holds changes)."""
        if recovery:
            self._replace(RECOVERY_FILE, {k: self.state[k] for k in RECOVERY_FIELDS if k in self.state})
        self._replace(STATE_FILE, self.state)

    def init_alive(self):
        """The recorded init is still that process (pid and start time), whatever the status:
        `delete` kills the init of a create that was itself killed ("creating") too."""
        pid = self.state.get("pid", 0)
        info = process_start_time(pid) if pid else None
        return info is not None and info[0] not in ("Z", "X") and info[1] == self.state.get("init_start_time")

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

    def remove(self, trace=None):
        """Remove the state dir (the lock goes with it): state.json first, recovery.json
        last, so that a kill meanwhile leaves a dir `delete` still recognises."""
        names = sorted(os.listdir(self.dir_fd), key=lambda n: (n != STATE_FILE, n == RECOVERY_FILE))
        for name in names:
            try:
                os.unlink(name, dir_fd=self.dir_fd)
            except OSError as e:
                if e.errno != errno.ENOENT:
                    raise
            if trace:
                trace(f"{name} removed")
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
