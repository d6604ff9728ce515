"""`exec`: run a new process in a running container — every namespace of its
init joined (user first), its cgroup, and the process's user, caps, rlimits,
NNP and seccomp — the same C path as the init, minus the rootfs work."""
import os

from .console import connect_console_socket
from ..errors import ConfigError, RuntimeFailure, SpawnError, WrongState
from .signals import exit_code, forward_signals
from .spawn import Spawn, sync_word
from .state import StateDir


def process_with(base, args, *, terminal=False, env=(), cwd=None, user=None, additional_gids=(), caps=(),
                 no_new_privileges=False, apparmor_profile=None):
    """runc's exec: the container's process `base` with `args` and these changes
    (user: (uid, gid); caps: names added to the bounding, effective and permitted sets)."""
    process = dict(base)
    process["args"] = list(args)
    process["terminal"] = bool(terminal)
    process["env"] = list(base.get("env", [])) + list(env)
    if cwd:
        process["cwd"] = cwd
    if user is not None:
        process["user"] = dict(base.get("user", {}), uid=user[0], gid=user[1])
    if additional_gids:
        process.setdefault("user", {})["additionalGids"] = list(additional_gids)
    if caps:
        current = {k: list(v) for k, v in (base.get("capabilities") or {}).items()}
        # as runc 1.1: ambient too (the kernel raises it only where inheritable allows)
        for kind in ("bounding", "effective", "permitted", "ambient"):
            current[kind] = current.get(kind, []) + [c for c in caps if c not in current.get(kind, [])]
        process["capabilities"] = current
    if no_new_privileges:
        process["noNewPrivileges"] = True
    if apparmor_profile:
        process["apparmorProfile"] = apparmor_profile
    return process


def check_process(process, source):
    """A `process` object given to exec (its schema is not checked by load_config)."""
    if not isinstance(process, dict) or not isinstance(process.get("args"), list) or not process["args"]:
        raise ConfigError("process.args", "must be a non-empty array", source=source)
    if "cwd" in process and not str(process["cwd"]).startswith("/"):
        raise ConfigError("process.cwd", "must be an absolute path", source=source)


def exec_process(root, container_id, process, *, pid_file=None, console_socket=None, detach=False,
                 preserve_fds=0, forward=False, warn=None, trace=None):
    """Start `process` in the container; returns its exit code, or its pid when detached.
    forward: the caller's signals go to the process while it runs (the CLI's foreground)."""
    from ..spec.plan import build_exec_plan, set_cgroup_placement
    c = StateDir.load(root, container_id)
    try:
        status = c.status()
        if status not in ("created", "running"):  # as runc: a created container's namespaces are joinable
            raise WrongState(f"cannot exec in a {status} container", status)
        config, init_pid = c.state["config"], c.state["pid"]
        mgr = c.cgroup() if c.state.get("cgroup") else None
    finally:
        c.close()
    if trace:
        trace("loaded")
    terminal = bool(process.get("terminal"))
    if terminal and not console_socket and detach:
        raise RuntimeFailure("cannot allocate tty if the runtime will detach without setting console socket")
    console = connect_console_socket(console_socket) if console_socket and terminal else None
    pair = None
    if terminal and not console_socket:
        # as runc: the caller's own terminal is proxied to the process's pty; it must have one
        # (stdin, or its controlling terminal when stdin is redirected)
        from .console import caller_terminal, console_pair
        caller_tty = caller_terminal()
        pair = console_pair()
        console = pair[1]
    spawn = None
    try:
        plan = build_exec_plan(config, init_pid, process, console_fd=console.fileno() if console else -1,
                               preserve_fds=preserve_fds)
        set_cgroup_placement(plan, mgr)
        for warning in plan.warnings if warn else ():
            warn(warning)
        spawn = Spawn(plan)
        if console:
            console.close()
            console = None
        pid = spawn.release_stage1(trace=trace)
        if trace:
            trace("clone")
        from .._core import lib
        msg = spawn.recv()  # EOF: the process exec'd (the sync fd is close-on-exec)
        if msg == sync_word(lib.OCI_SYNC_SECCOMP_STATE):
            # its seccomp listener gets this pid and the container's state, as runc's
            from .lifecycle import _state_json
            spawn.send(lib.OCI_SYNC_STATE, f"{pid} {_state_json(c, status)}")
            msg = spawn.recv()
        if msg:
            raise SpawnError(f"exec: unexpected message from the process: {msg[:60]!r}")
        master = None
        if pair:
            from .console import receive_master
            master = receive_master(pair[0])
            pair[0].close()
            pair = None
        if pid_file:  # as runc: a pid file that cannot be written ends the process
            from .state import write_pid_file
            write_pid_file(pid_file, pid)
        spawn.close()
        if trace:
            trace("exec'd")
    except BaseException:
        if console:
            console.close()
        if pair:
            pair[0].close()
            os.close(caller_tty)
        if spawn:
            spawn.abort()
        raise
    if detach:
        return pid
    if forward:
        forward_signals(pid)
    if master is not None:
        from .console import proxy_terminal
        proxy_terminal(master, caller_tty)
    return exit_code(os.waitpid(pid, 0)[1])
