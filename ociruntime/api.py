"""The Python API: drive containers from a Python program, no daemon, no subprocess.

    >>> import ociruntime
    >>> rt = ociruntime.Runtime(root="/run/ociruntime")           # doctest: +SKIP
    >>> with rt.create("web", "/tmp/bundle") as c:                 # doctest: +SKIP
    ...     c.start()
    ...     c.state()["status"]
    ...     c.exec(["cat", "/etc/hostname"])        # its exit code
    ...     c.kill("TERM")
    ...     c.wait()                                # the init's exit code
    'running'
    0
    143
    >>> ociruntime.run("/tmp/bundle")              # create, start, wait, delete  # doctest: +SKIP
    0

A `Container` is a handle (a root and an id), like psutil's Process: every method
reads the container's state from disk and the kernel at the time of the call, so
handles in several processes (or the `ociruntime` command) act on one container.
Failures raise the typed errors of ociruntime.errors (all RuntimeFailure).

The `ociruntime` command is a thin client of this module (ociruntime/cli/main.py).
This module imports only what a call needs: the CLI's `state` pays for nothing else.
"""
import os

from . import DEFAULT_ROOT

TYPE_CHECKING = False  # typing and collections.abc cost every CLI call more than the call itself
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from typing import Any

    Warn = Callable[[str], None]
    Trace = Callable[[str], None]

__all__ = ["Runtime", "Container", "run"]


class Runtime:
    """Containers under one state root (runc's --root).

    >>> rt = Runtime(root="/tmp/oci-doc-root")
    >>> rt.list()
    []
    >>> rt.get("nope")
    Traceback (most recent call last):
    ...
    ociruntime.errors.NotFound: container nope does not exist
    """

    def __init__(self, root: str = DEFAULT_ROOT, *, warn: "Warn | None" = None, systemd_cgroup: bool = False) -> None:
        """warn(message) receives the warnings of a call that still succeeds (a poststart
        or poststop hook that failed, a config field that is not applied); default: ignored.
        systemd_cgroup (runc's --systemd-cgroup): containers created here get a systemd unit,
        linux.cgroupsPath being "slice:prefix:name"; later calls find the driver in the state."""
        self.root = root
        self.warn = warn
        self.systemd_cgroup = systemd_cgroup

    def __repr__(self) -> str:
        return f"Runtime(root={self.root!r})"

    def create(self, container_id: str, bundle: str, *, pid_file: "str | None" = None,
               console_socket: "str | None" = None, no_pivot: bool = False, preserve_fds: int = 0,
               trace: "Trace | None" = None, _console: "Any" = None) -> "Container":
        """Create a container from an OCI bundle (a directory with config.json): its
        init waits for start(). On failure nothing is left (process, cgroup, network,
        state) and the error says why: ConfigError (with the field), AlreadyExists,
        CgroupError, SpawnError, HookError. preserve_fds=N: of fds 3..3+N-1 the
        inheritable ones (os.set_inheritable) reach the container, as a caller's do."""
        from .container import lifecycle
        lifecycle.create(self.root, container_id, bundle, pid_file=pid_file, console_socket=console_socket,
                         console=_console, no_pivot=no_pivot, preserve_fds=preserve_fds, warn=self.warn,
                         trace=trace, systemd_cgroup=self.systemd_cgroup).close()
        return Container(self, container_id)

    def restore(self, container_id: str, bundle: str, image_path: str, *, criu: str = "criu",
                pid_file: "str | None" = None, console_socket: "str | None" = None, no_pivot: bool = False,
                _console: "Any" = None, **options: "Any") -> "Container":
        """A running container restored from a checkpoint's images (Container.checkpoint)
        with the bundle's config: its init is this process's child. options: runc's
        restore flags (work_path, tcp_established, ext_unix_sk, shell_job, file_locks,
        manage_cgroups_mode, empty_ns, auto_dedup, lazy_pages, lsm_profile, lsm_mount_context).
        On failure nothing is left."""
        from .container import checkpoint
        opts = checkpoint.Options(image_path=image_path, **options)
        checkpoint.restore(self.root, container_id, bundle, criu, opts, pid_file=pid_file,
                           console_socket=console_socket, no_pivot=no_pivot, console=_console, warn=self.warn,
                           systemd_cgroup=self.systemd_cgroup)
        return Container(self, container_id)

    def get(self, container_id: str) -> "Container":
        """The container with this id; NotFound if there is none (StateDamaged if its
        state cannot be read)."""
        c = Container(self, container_id)
        c.state()
        return c

    def list(self) -> "list[Container]":
        """Every container under the root, by id."""
        from .container.state import list_ids
        return [Container(self, cid) for cid in list_ids(self.root)]


class Container:
    """One container: Container(runtime, id) is a bare handle (Runtime.get checks
    that the container exists). A context manager: leaving the block deletes the
    container (killing it first), also when the block raised."""

    def __init__(self, runtime: "Runtime", container_id: str) -> None:
        self.runtime = runtime
        self.id = container_id

    def __repr__(self) -> str:
        return f"Container({self.id!r}, root={self.runtime.root!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Container) and (other.runtime.root, other.id) == (self.runtime.root, self.id)

    def __hash__(self) -> int:
        return hash((self.runtime.root, self.id))

    def __enter__(self) -> "Container":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.delete(force=True)

    @property
    def _root(self) -> str:
        return self.runtime.root

    # -- reading -------------------------------------------------------------------------

    def state(self) -> "dict[str, Any]":
        """The runtime-spec state (ociVersion, id, status, pid, bundle, annotations) with
        runc's extra fields (rootfs, created, owner); the status read from the kernel."""
        from .container import lifecycle
        return lifecycle.state(self._root, self.id)

    @property
    def status(self) -> str:
        """"creating", "created", "running", "paused" or "stopped"."""
        return str(self.state()["status"])

    @property
    def pid(self) -> int:
        """The init's host pid (0 once stopped)."""
        return int(self.state()["pid"])

    @property
    def config(self) -> "dict[str, Any]":
        """The config.json the container was created from (as updated by update())."""
        return dict(self._saved()[0]["config"])

    def _saved(self) -> "tuple[dict[str, Any], str]":
        """(the state as saved, the status now): the saved pid stays after the init
        exits (the public state says 0 then)."""
        from .container.state import StateDir
        c = StateDir.load(self._root, self.id, locked=False)
        try:
            return c.state, c.status()
        finally:
            c.close()

    # -- the lifecycle ---------------------------------------------------------------------

    def start(self, *, trace: "Trace | None" = None) -> None:
        """Run the user process of a created container (WrongState otherwise).
        trace(phase) is called as each phase ends (as Runtime.create's)."""
        from .container import lifecycle
        lifecycle.start(self._root, self.id, warn=self.runtime.warn, trace=trace)

    def kill(self, sig: "int | str" = "SIGTERM", all: bool = False) -> None:
        """Send a signal (a number or a name: "KILL", "SIGTERM", "RTMIN+3") to the init,
        or with all=True to every process in the container."""
        from .container import lifecycle
        if isinstance(sig, str):
            from .container.signals import parse_signal
            sig = parse_signal(sig)
        lifecycle.kill(self._root, self.id, sig, all_processes=all)

    def wait(self, timeout: "float | None" = None) -> "int | None":
        """Wait until the init exits. Its exit code (128+N when killed by signal N) when
        the init is this process's child (created by this process); otherwise None, as
        psutil does for processes that are not its children. TimeoutError after timeout s.

        The init of a pid namespace exits only once every other process in it is reaped:
        reap the processes exec'd with detach=True (this process's children) first."""
        from .container.lifecycle import reap_if_child, wait_init
        saved, status = self._saved()
        pid = saved.get("pid", 0)
        if status == "stopped":  # its pid may be another process's now, unless it is our zombie
            return reap_if_child(pid) if _is_child(pid) else None
        return wait_init(pid, timeout)

    def delete(self, force: bool = False, *, trace: "Trace | None" = None) -> None:
        """Delete a stopped container and everything it holds (cgroup, network, state);
        force=True kills a live one first, ignores one that is already gone, and frees a
        half-made one or one whose state.json is damaged (StateDamaged without force).
        Returns only when nothing of it is left; RuntimeFailure naming what could not
        be freed otherwise (its state is kept, for another try)."""
        from .container import lifecycle
        from .container.lifecycle import reap_if_child
        pid = lifecycle.delete(self._root, self.id, force=force, warn=self.runtime.warn, trace=trace)
        if _is_child(pid):  # the init is dead now: only its zombie is left
            reap_if_child(pid)

    # -- more processes -------------------------------------------------------------------

    def exec(self, process: "dict[str, Any] | list[str]", *, detach: bool = False, console_socket: "str | None" = None,
             pid_file: "str | None" = None, preserve_fds: int = 0) -> int:
        """Run a process in the running container: a runtime-spec `process` object, or
        a list of args (the container's own process with these args, as `runc exec ID
        CMD`). Returns its exit code, or its pid with detach=True (then reap it with
        os.waitpid: it is this process's child, and the container's init cannot finish
        exiting before it is reaped)."""
        from .container import exec as execmod
        if isinstance(process, list):
            process = execmod.process_with(self.config["process"], process)
        execmod.check_process(process, "exec")
        return execmod.exec_process(self._root, self.id, process, pid_file=pid_file,
                                    console_socket=console_socket, detach=detach, preserve_fds=preserve_fds)

    def checkpoint(self, image_path: str, *, criu: str = "criu", leave_running: bool = False,
                   pre_dump: bool = False, **options: "Any") -> None:
        """Save the container's processes with CRIU into image_path. Unless leave_running
        or pre_dump the container is then stopped and deleted (as runc leaves it).
        options: runc's checkpoint flags (work_path, parent_path, tcp_established,
        ext_unix_sk, shell_job, file_locks, manage_cgroups_mode, empty_ns, auto_dedup,
        lazy_pages, status_fd, page_server)."""
        from .container import checkpoint
        opts = checkpoint.Options(image_path=image_path, leave_running=leave_running, pre_dump=pre_dump, **options)
        checkpoint.checkpoint(self._root, self.id, criu, opts, warn=self.runtime.warn)

    def processes(self) -> "list[int]":
        """Host pids of every process in the container's cgroup (empty once stopped)."""
        from .container import cgroup_commands
        return cgroup_commands.pids(self._root, self.id)

    # -- through the cgroup ---------------------------------------------------------------

    def pause(self) -> None:
        """Freeze every process of the container."""
        from .container import cgroup_commands
        cgroup_commands.pause(self._root, self.id)

    def resume(self) -> None:
        """Thaw a paused container."""
        from .container import cgroup_commands
        cgroup_commands.resume(self._root, self.id)

    def update(self, resources: "dict[str, Any]") -> None:
        """Change live limits: a runtime-spec linux.resources object, merged into the
        current one ({"memory": {"limit": 96 << 20}, "pids": {"limit": 50}})."""
        from .container import cgroup_commands
        cgroup_commands.update(self._root, self.id, resources)

    def stats(self) -> "dict[str, Any]":
        """Resource usage now: runc's `events --stats` event, {"type": "stats", "id",
        "data": {"cpu", "memory", "pids", "blkio", "hugetlb", ...}}."""
        from .container import cgroup_commands
        return cgroup_commands.stats(self._root, self.id)

    def events(self, interval: float = 5.0) -> "Iterator[dict[str, Any]]":
        """Yield a stats event every `interval` seconds and an {"type": "oom"} event as
        each OOM kill happens, until the container stops."""
        from .container import cgroup_commands
        return cgroup_commands.events(self._root, self.id, interval)


def run(bundle: str, container_id: "str | None" = None, *, root: str = DEFAULT_ROOT, detach: bool = False,
        keep: bool = False, pid_file: "str | None" = None, console_socket: "str | None" = None,
        no_pivot: bool = False, preserve_fds: int = 0, forward_signals: bool = False,
        warn: "Warn | None" = None, trace: "Trace | None" = None, systemd_cgroup: bool = False) -> int:
    """Create and start a container from `bundle`, then (unless detach) wait for it
    and delete it (unless keep); returns its exit code (128+N when killed by signal N;
    0 when detached). A config that asks for a terminal without a console_socket gets
    this process's own terminal, as with `runc run`. container_id: default, a fresh one.

    forward_signals: the signals this process receives go to the container (the CLI's
    foreground `run`); it replaces this process's signal handlers.
    """
    from .container.console import console_pair
    from .container.signals import exit_code, forward_signals as forward
    if container_id is None:
        container_id = f"run-{os.getpid()}-{os.urandom(4).hex()}"
    rt = Runtime(root, warn=warn, systemd_cgroup=systemd_cgroup)
    pair = None
    if not detach and not console_socket:
        pair = console_pair()
    try:
        c = rt.create(container_id, bundle, pid_file=pid_file, console_socket=console_socket,
                      _console=pair[1] if pair else None, no_pivot=no_pivot, preserve_fds=preserve_fds, trace=trace)
    except BaseException:
        if pair:
            pair[0].close()
            pair[1].close()
        raise
    pid = c.pid
    master = None
    if pair:
        pair[1].close()
        if c.config["process"].get("terminal"):
            from .container.console import receive_master
            master = receive_master(pair[0])
        pair[0].close()
    try:
        if forward_signals and not detach:
            forward(pid)
        c.start()
    except BaseException:
        c.delete(force=True)
        _reap(pid)
        raise
    if trace:
        trace("started")
    if detach:
        return 0
    if master is not None:
        from .container.console import proxy_terminal
        proxy_terminal(master)
    status = _reap(pid)
    if trace:
        trace("exited")
    if not keep:
        c.delete(force=True)
        if trace:
            trace("deleted")
    return exit_code(status)


def restore_and_wait(rt: Runtime, container_id: str, bundle: str, *, image_path: "str | None" = None,
                     detach: bool = False, console_socket: "str | None" = None, forward_signals: bool = False,
                     **options: "Any") -> int:
    """`restore` as the CLI runs it (as `run` for create): restored, then, unless
    detach, waited for and deleted; a terminal without console_socket is this
    process's own. The container's exit code (0 when detached)."""
    from .container.console import console_pair
    from .container.signals import exit_code, forward_signals as forward
    pair = None if detach or console_socket else console_pair()
    try:
        c = rt.restore(container_id, bundle, image_path or "", console_socket=console_socket,
                       _console=pair[1] if pair else None, **options)
    finally:
        if pair:
            pair[1].close()
    master = None
    try:
        if pair and c.config["process"].get("terminal"):
            from .container.console import receive_master
            master = receive_master(pair[0])
    finally:
        if pair:
            pair[0].close()
    if detach:
        return 0
    pid = c.pid
    if forward_signals:
        forward(pid)
    if master is not None:
        from .container.console import proxy_terminal
        proxy_terminal(master)
    status = _reap(pid)
    c.delete(force=True)
    return exit_code(status)


def _is_child(pid: int) -> bool:
    """Whether pid is this process's child: the init of a container created by this
    process is (the C core clones it with CLONE_PARENT)."""
    if not pid:
        return False
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read()
    except OSError:
        return False
    return int(data[data.rindex(b")") + 2:].split()[1]) == os.getpid()


def _reap(pid: int) -> int:
    """The wait status of our child `pid` (0 if it is not, or no longer, ours)."""
    try:
        return os.waitpid(pid, 0)[1]
    except ChildProcessError:
        return 0
