"""Network objects on disk: one JSON file per network, written atomically, one flock.

They live under /var/lib (not /run) so networks survive a reboot; OCIRUNTIME_NETWORK_DIR
moves them (tests use a temp dir). Every change happens while `locked()` is held, so
address assignment and port reservation never race between runtime processes.
"""
import fcntl
import os

from ociruntime import jsonio
from ociruntime.errors import InvalidArgument

DEFAULT_DIR = "/var/lib/ociruntime/networks"
DIR_ENV = "OCIRUNTIME_NETWORK_DIR"
NAME_PUNCTUATION = frozenset("_.-")


def network_dir():
    return os.environ.get(DIR_ENV) or DEFAULT_DIR


def check_name(name):
    valid = name[:1].isalnum() and all(ch.isalnum() or ch in NAME_PUNCTUATION for ch in name)
    if not (valid and name.isascii() and len(name) <= 64):
        raise InvalidArgument(f"invalid network name {name!r}: want [A-Za-z0-9][A-Za-z0-9_.-]*, at most 64 characters")


class locked:
    """`with locked():` holds the store-wide exclusive lock (also between threads: each use
    opens its own file). A class, not contextlib's decorator: that import costs ~1 ms."""

    def __enter__(self):
        directory = network_dir()
        os.makedirs(directory, mode=0o700, exist_ok=True)
        self._fd = os.open(os.path.join(directory, ".lock"), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX)
        except BaseException:
            os.close(self._fd)
            raise

    def __exit__(self, *exc):
        os.close(self._fd)


def _path(name):
    return os.path.join(network_dir(), name + ".json")


def load(name):
    """The stored network, or None."""
    check_name(name)
    try:
        with open(_path(name)) as f:
            return jsonio.loads(f.read())
    except FileNotFoundError:
        return None


def load_all():
    try:
        files = sorted(f for f in os.listdir(network_dir()) if f.endswith(".json"))
    except FileNotFoundError:
        return []
    networks = []
    for filename in files:
        try:
            with open(os.path.join(network_dir(), filename)) as f:
                networks.append(jsonio.loads(f.read()))
        except FileNotFoundError:
            continue
    return networks


def save(network):
    """Write atomically: a reader sees the old or the new object, never half of one."""
    path = _path(network["name"])
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w") as f:
        f.write(jsonio.dumps(network, indent=1))
        f.flush()
        os.fsync(f.fileno())
    os.rename(tmp, path)


def remove(name):
    os.unlink(_path(name))
