"""`exec`: run a new process in a running container — every namespace of its
init joined (user first), its cgroup, and the process's user, caps, rlimits,
NNP and seccomp — the same C path as the init, minus the rootfs work."""
import os

from .. import jsonio

from .console import connect_console_socket
from ..errors import RuntimeFailure
from .signals import exit_code, forward_signals
from .spawn import Spawn
from .state import Container


def load_process(path):
    """The --process JSON (runtime-spec `process` object)."""
    try:
        with open(path) as f:
            process = jsonio.loads(f.read())
    except OSError as e:
        raise RuntimeFailure(f"--process {path}: {e.strerror}") from None
    except ValueError as e:
        raise RuntimeFailure(f"--process {path}: invalid JSON: {e}") from None
    if not isinstance(process, dict) or not isinstance(process.get("args"), list) or not process["args"]:
        raise RuntimeFailure(f"--process {path}: process.args must be a non-empty array")
    if "cwd" in process and not str(process["cwd"]).startswith("/"):
        raise RuntimeFailure(f"--process {path}: process.cwd must be an absolute path")
    return process


def process_from_flags(base, args, o):
    """runc's exec: the container's process with the command line's changes."""
    process = dict(base)
    process["args"] = list(args)
    process["terminal"] = bool(o["tty"])
    process["env"] = list(base.get("env", [])) + list(o["env"])
    if o["cwd"]:
        process["cwd"] = o["cwd"]
    if o["user"]:
        uid, _, gid = o["user"].partition(":")
        try:
            process["user"] = dict(base.get("user", {}), uid=int(uid), gid=int(gid or 0))
        except ValueError:
            raise RuntimeFailure(f"--user {o['user']}: expected uid[:gid] as numbers") from None
    if o["additional_gids"]:
        process.setdefault("user", {})["additionalGids"] = [int(g) for g in o["additional_gids"]]
    if o["cap"]:
        caps = {k: list(v) for k, v in (base.get("capabilities") or {}).items()}
        for kind in ("bounding", "effective", "permitted"):
            caps[kind] = caps.get(kind, []) + [c for c in o["cap"] if c not in caps.get(kind, [])]
        process["capabilities"] = caps
    if o["no_new_privs"]:
        process["noNewPrivileges"] = True
    if o["process_label"] or o["apparmor"]:
        raise RuntimeFailure("exec: AppArmor/SELinux are not enabled on this host")
    return process


def exec_process(root, container_id, process, *, pid_file=None, console_socket=None, detach=False,
                 preserve_fds=0):
    """Start `process` in the container; returns its exit code (0 when detached)."""
    from ..spec.plan import build_exec_plan, set_cgroup_placement
    c = Container.load(root, container_id)
    try:
        status = c.status()
        if status not in ("created", "running"):  # as runc: a created container's namespaces are joinable
            raise RuntimeFailure(f"cannot exec in a {status} container")
        config, init_pid = c.state["config"], c.state["pid"]
        mgr = c.cgroup() if c.state.get("cgroup") else None
    finally:
        c.close()
    if process.get("terminal") and not console_socket and detach:
        raise RuntimeFailure("cannot allocate tty if the runtime will detach without setting console socket")
    console = connect_console_socket(console_socket) if console_socket and process.get("terminal") else None
    spawn = None
    try:
        plan = build_exec_plan(config, init_pid, process, console_fd=console.fileno() if console else -1,
                               preserve_fds=preserve_fds)
        set_cgroup_placement(plan, mgr)
        spawn = Spawn(plan)
        if console:
            console.close()
            console = None
        pid = spawn.release_stage1()
        msg = spawn.recv()  # EOF: the process exec'd (the sync fd is close-on-exec)
        if msg:
            raise RuntimeFailure(f"exec: unexpected message from the process: {msg[:60]!r}")
        spawn.close()
    except BaseException:
        if console:
            console.close()
        if spawn:
            spawn.abort()
        raise
    if pid_file:
        from .state import write_pid_file
        write_pid_file(pid_file, pid)
    if detach:
        return 0
    forward_signals(pid)
    return exit_code(os.waitpid(pid, 0)[1])
