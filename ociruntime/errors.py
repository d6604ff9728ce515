"""The runtime's errors: one base class, RuntimeFailure, whose str() is the whole
one-line message the CLI prints (and logs) and whose exit_code it exits with; and
a subclass per kind of failure a caller may want to tell apart.

    >>> from ociruntime.errors import ConfigError, RuntimeFailure
    >>> e = ConfigError("process.args", "must not be empty")
    >>> str(e), e.field, isinstance(e, RuntimeFailure)
    ('config.json: process.args: must not be empty', 'process.args', True)

Nothing here imports anything: every command imports this module."""


class RuntimeFailure(Exception):
    """A user-facing failure: str(exc) is the whole one-line message."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class InvalidArgument(RuntimeFailure):
    """A malformed argument: a container id, a signal, a flag's value, a size."""


class NotFound(RuntimeFailure):
    """No container with this id under the root (its state directory is absent)."""

    def __init__(self, container_id: str) -> None:
        super().__init__(f"container {container_id} does not exist")
        self.container_id = container_id


class AlreadyExists(RuntimeFailure):
    """`create` with an id that is taken."""

    def __init__(self, container_id: str) -> None:
        super().__init__(f"container with id exists: {container_id}")
        self.container_id = container_id


class StateDamaged(RuntimeFailure):
    """The container's state directory exists but its state cannot be read (a damaged
    or unreadable state.json). Never a NotFound: something is there, and `delete
    --force` must not take it for gone (it frees what recovery.json names). `why`:
    "corrupt", "missing (no state.json)", "unreadable: ..."."""

    def __init__(self, container_id: str, why: str) -> None:
        super().__init__(f"container {container_id}: state is {why}")
        self.container_id = container_id
        self.why = why


class WrongState(RuntimeFailure):
    """The container's status does not allow the operation (start a running one,
    pause a stopped one, ...). `status` is the status it was found in."""

    def __init__(self, message: str, status: str) -> None:
        super().__init__(message)
        self.status = status


class ConfigError(RuntimeFailure):
    """config.json (or an exec process) asks for something wrong or impossible.
    `field` is the path of the offending field ("linux.seccomp.syscalls[3].action")."""

    def __init__(self, field: str, message: str, *, source: str = "config.json") -> None:
        super().__init__(f"{source}: {field}: {message}" if field else f"{source}: {message}")
        self.field = field


class CgroupError(RuntimeFailure):
    """The kernel refused a cgroup operation (a limit, a freeze, a mkdir)."""


class NetworkError(RuntimeFailure):
    """A network request the host cannot satisfy as asked (an address or port taken, a
    subnet overlapping another, a network with members) or the kernel refused
    (rtnetlink, nftables). Malformed values are InvalidArgument (flags) or ConfigError
    (annotations)."""


class SpawnError(RuntimeFailure):
    """The container's init (or an exec'd process) failed while being set up: the
    message is the C core's own line (csrc/spawn.c)."""


class HookError(RuntimeFailure):
    """A hook failed, timed out or could not be run. `kind` is the hook kind
    ("prestart", "poststop", ...) and `index` its position in the config."""

    def __init__(self, kind: str, index: int, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.index = index
