"""The `ociruntime` command: runc's global flags and commands, each a thin client of
the Python API (ociruntime.api): options in, the API called, its result printed."""
import os
import sys

from .. import DEFAULT_ROOT, SPEC_VERSION, __version__
from ..errors import InvalidArgument, RuntimeFailure
from ..log import Log
from .args import Command, Flag, parse

PROG = "ociruntime"

GLOBAL_FLAGS = [
    Flag("root", "root", True, os.environ.get("OCIRUNTIME_ROOT", DEFAULT_ROOT), help="state directory root"),
    Flag("log", "log", True, None, help="log file (default: stderr only)"),
    Flag("log-format", "log_format", True, "text", help="text or json"),
    Flag("debug", "debug", help="debug logging"),
    Flag("systemd-cgroup", "systemd_cgroup", help="cgroups as systemd units (cgroupsPath slice:prefix:name)"),
    Flag("rootless", "rootless", True, "auto", help="ignored: rootless mode is detected"),
    Flag("criu", "criu", True, "criu", help="path to the criu binary (checkpoint, restore)"),
    Flag("trace", "trace", True, os.environ.get("OCIRUNTIME_TRACE"), help="write per-phase timings (JSON) to this file"),
    Flag("v,version", "version", help="print the version"),
]

_CREATE_FLAGS = [
    Flag("b,bundle", "bundle", True, ".", help="path to the OCI bundle"),
    Flag("pid-file", "pid_file", True, None, help="write the container's init pid here"),
    Flag("console-socket", "console_socket", True, None, help="unix socket that receives the pty master"),
    Flag("no-pivot", "no_pivot", help="MS_MOVE + chroot instead of pivot_root"),
    Flag("no-new-keyring", "no_new_keyring", help="accepted for compatibility: no session keyring is made"),
    Flag("preserve-fds", "preserve_fds", True, 0, int, help="pass N extra fds (from 3) to the container"),
]

# checkpoint and restore (runc's flags; cli/criu_commands.py)
_CRIU_FLAGS = [
    Flag("image-path", "image_path", True, None, help="path for the CRIU image files (default: ./checkpoint)"),
    Flag("work-path", "work_path", True, None, help="path for CRIU's work files and log (default: the image path)"),
    Flag("tcp-established", "tcp_established", help="allow open TCP connections"),
    Flag("ext-unix-sk", "ext_unix_sk", help="allow external unix sockets"),
    Flag("shell-job", "shell_job", help="allow shell jobs"),
    Flag("file-locks", "file_locks", help="handle file locks"),
    Flag("manage-cgroups-mode", "manage_cgroups_mode", True, None, help="cgroups mode: soft|full|strict (default: soft)"),
    Flag("empty-ns", "empty_ns", True, [], help="create a namespace but do not restore its properties (network)"),
    Flag("auto-dedup", "auto_dedup", help="enable auto deduplication of memory images"),
    Flag("lazy-pages", "lazy_pages", help="use userfaultfd to lazily restore memory pages"),
]

_CHECKPOINT_FLAGS = _CRIU_FLAGS + [
    Flag("parent-path", "parent_path", True, None, help="previous (pre-dump) images, relative to --image-path"),
    Flag("leave-running", "leave_running", help="leave the container running after the checkpoint"),
    Flag("pre-dump", "pre_dump", help="dump memory only, leave the container running"),
    Flag("status-fd", "status_fd", True, -1, int, help="CRIU writes \\0 to this fd once lazy pages are ready"),
    Flag("page-server", "page_server", True, None, help="ADDRESS:PORT of the page server"),
]

_RESTORE_FLAGS = _CRIU_FLAGS + [
    Flag("b,bundle", "bundle", True, ".", help="path to the OCI bundle"),
    Flag("d,detach", "detach", help="do not wait for the restored container"),
    Flag("pid-file", "pid_file", True, None, help="write the restored init's pid here"),
    Flag("console-socket", "console_socket", True, None, help="unix socket that receives the pty master"),
    Flag("no-subreaper", "no_subreaper", help="accepted: the restored init is this process's own child"),
    Flag("no-pivot", "no_pivot", help="accepted: CRIU restores the mount namespace as it was"),
    Flag("lsm-profile", "lsm_profile", True, None, help="LSM profile of the restored processes, TYPE:NAME"),
    Flag("lsm-mount-context", "lsm_mount_context", True, None, help="LSM mount context of the restored mounts"),
]


def _usage():
    lines = [f"Usage: {PROG} [global options] command [command options] [arguments...]", "", "Commands:"]
    lines += [f"   {c.name:<10} {c.summary}" for c in COMMANDS.values()]
    lines += ["", "Global options:"]
    for f in GLOBAL_FLAGS:
        names = ", ".join(("-" if len(n) == 1 else "--") + n for n in f.names)
        lines.append(f"   {names + (' value' if f.takes_value else ''):<32} {f.help}")
    return "\n".join(lines) + "\n"


def _version():
    return f"{PROG} version {__version__}\ncommit: {__version__}\nspec: {SPEC_VERSION}\n"


def _handle(rt, container_id):
    from ..api import Container
    return Container(rt, container_id)


def cmd_create(rt, o, args, log, trace):
    rt.create(args[0], o["bundle"], pid_file=o["pid_file"], console_socket=o["console_socket"],
              no_pivot=o["no_pivot"], preserve_fds=o["preserve_fds"], trace=trace)
    return 0


def cmd_start(rt, o, args, log, trace):
    _handle(rt, args[0]).start(trace=trace)
    return 0


def cmd_run(rt, o, args, log, trace):
    from ..api import run
    return run(o["bundle"], args[0], root=rt.root, detach=o["detach"], keep=o["keep"], pid_file=o["pid_file"],
               console_socket=o["console_socket"], no_pivot=o["no_pivot"], preserve_fds=o["preserve_fds"],
               forward_signals=True, warn=rt.warn, trace=trace, systemd_cgroup=rt.systemd_cgroup)


def cmd_state(rt, o, args, log, trace):
    from .. import jsonio as json
    sys.stdout.write(json.dumps(_handle(rt, args[0]).state(), indent=2) + "\n")
    return 0


def cmd_kill(rt, o, args, log, trace):
    from ..container.signals import parse_signal
    sig = parse_signal(args[1] if len(args) > 1 else "SIGTERM")
    _handle(rt, args[0]).kill(sig, all=o["all"])
    return 0


def cmd_delete(rt, o, args, log, trace):
    _handle(rt, args[0]).delete(force=o["force"], trace=trace)
    return 0


def cmd_list(rt, o, args, log, trace):
    if o["format"] not in ("table", "json") and not o["quiet"]:
        raise InvalidArgument(f"invalid format option: {o['format']}")
    from ..container.lifecycle import owner
    from ..errors import StateDamaged
    states = []
    for c in rt.list():
        try:
            states.append(dict(c.state(), owner=owner(rt.root, c.id)))
        except StateDamaged as e:  # runc warns and leaves it out; it is there, so it is listed
            log.warning(f"{e} (delete --force removes the container)")
            states.append({"ociVersion": SPEC_VERSION, "id": c.id, "pid": 0, "status": "unknown", "bundle": "",
                           "rootfs": "", "created": "", "owner": owner(rt.root, c.id)})
        except (RuntimeFailure, FileNotFoundError):  # deleted meanwhile (NotFound), or no container id
            continue
    if o["quiet"]:
        sys.stdout.write("".join(s["id"] + "\n" for s in states))
    elif o["format"] == "json":
        from .. import jsonio as json
        sys.stdout.write(json.dumps_compact([{k: s[k] for k in ("ociVersion", "id", "pid", "status", "bundle",
                                                                 "rootfs", "created", "owner")} for s in states]) + "\n")
    else:
        rows = [("ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER")]
        rows += [(s["id"], str(s["pid"]), s["status"], s["bundle"], s["created"], s["owner"]) for s in states]
        widths = [max(len(r[i]) for r in rows) for i in range(6)]
        for r in rows:
            sys.stdout.write("   ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip() + "\n")
    return 0


def cmd_spec(rt, o, args, log, trace):
    from ..spec.default_spec import write_default_spec
    write_default_spec(o["bundle"], rootless=o["rootless"])
    return 0


def cmd_features(rt, o, args, log, trace):
    from .. import jsonio as json
    from ..spec.features import features
    sys.stdout.write(json.dumps(features(o["criu"]), indent=2) + "\n")
    return 0


def cmd_exec(rt, o, args, log, trace):
    try:
        return _exec(rt, o, args, trace)
    except RuntimeFailure as e:
        e.exit_code = 255  # as runc's: the shim tells a failed exec from the process's own exit code
        raise


def _exec(rt, o, args, trace):
    from . import options
    c = _handle(rt, args[0])
    if o["process"]:
        process = options.load_process(o["process"])
    elif len(args) < 2:
        raise InvalidArgument(f"exec: a command is required (usage: {PROG} exec {COMMANDS['exec'].usage})")
    else:
        process = options.process_from_flags(c.config["process"], args[1:], o)
    from ..container.exec import exec_process
    code = exec_process(rt.root, c.id, process, pid_file=o["pid_file"], console_socket=o["console_socket"],
                        detach=o["detach"], preserve_fds=o["preserve_fds"], forward=True, warn=rt.warn,
                        trace=trace)
    return 0 if o["detach"] else code


def cmd_pause(rt, o, args, log, trace):
    _handle(rt, args[0]).pause()
    return 0


def cmd_resume(rt, o, args, log, trace):
    _handle(rt, args[0]).resume()
    return 0


def cmd_update(rt, o, args, log, trace):
    from .options import resources_from_flags
    _handle(rt, args[0]).update(resources_from_flags(o))
    return 0


def cmd_ps(rt, o, args, log, trace):
    from .. import jsonio as json
    if o["format"] not in ("table", "json"):
        raise InvalidArgument(f"invalid format option: {o['format']}")
    pids = _handle(rt, args[0]).processes()
    if o["format"] == "json":
        sys.stdout.write(json.dumps_compact(pids) + "\n")
    else:
        from .options import ps_table
        sys.stdout.write(ps_table(pids, args[1:]))
    return 0


def cmd_events(rt, o, args, log, trace):
    from .. import jsonio as json
    from .options import parse_interval
    c = _handle(rt, args[0])
    if o["stats"]:
        sys.stdout.write(json.dumps_compact(c.stats()) + "\n")
        return 0
    for event in c.events(parse_interval(o["interval"])):
        sys.stdout.write(json.dumps_compact(event) + "\n")
        sys.stdout.flush()
    return 0


def cmd_network(rt, o, args, log, trace):
    from .network import main as network_main
    return network_main(args, pid_of=lambda cid: _pid_for_network(rt.root, cid))


def _pid_for_network(root, container_id):
    from ..container.lifecycle import pid_for_network
    return pid_for_network(root, container_id)


def cmd_checkpoint(rt, o, args, log, trace):
    from .criu_commands import checkpoint
    return checkpoint(rt, o, args[0])


def cmd_restore(rt, o, args, log, trace):
    from .criu_commands import restore
    return restore(rt, o, args[0])


# name -> Command: usage, flags, the number of arguments and its handler, in `--help` order
COMMANDS = {c.name: c for c in [
    Command("create", cmd_create, "[options] <container-id>", "Create a container from a bundle; `start` runs its process.",
            _CREATE_FLAGS, 1, 1),
    Command("start", cmd_start, "<container-id>", "Run the user process of a created container.", [], 1, 1),
    Command("run", cmd_run, "[options] <container-id>", "Create and start a container, then wait for it (unless --detach).",
            _CREATE_FLAGS + [Flag("d,detach", "detach", help="do not wait for the container"),
                             Flag("keep", "keep", help="do not delete the container after it exits")], 1, 1),
    Command("state", cmd_state, "<container-id>", "Print the container's state as JSON.", [], 1, 1),
    Command("kill", cmd_kill, "[options] <container-id> [signal]", "Send a signal (default SIGTERM) to the container's init.",
            [Flag("a,all", "all", help="signal every process in the container")], 1, 2),
    Command("delete", cmd_delete, "[options] <container-id>", "Delete a stopped container and what it holds.",
            [Flag("f,force", "force", help="kill a running container first")], 1, 1),
    Command("list", cmd_list, "[options]", "List containers.",
            [Flag("f,format", "format", True, "table", help="table or json"),
             Flag("q,quiet", "quiet", help="only ids")], 0, 0),
    Command("spec", cmd_spec, "[options]", "Write a default config.json.",
            [Flag("b,bundle", "bundle", True, ".", help="directory to write config.json in"),
             Flag("rootless", "rootless", help="a config for a non-root user")], 0, 0),
    Command("features", cmd_features, "", "Print the features this runtime supports as JSON.", [], 0, 0),
    Command("exec", cmd_exec, "[options] <container-id> [command [args...]]", "Run a new process in a running container.",
            [Flag("p,process", "process", True, None, help="process.json to run (instead of a command)"),
             Flag("t,tty", "tty", help="allocate a pty"),
             Flag("cwd", "cwd", True, None, help="working directory"),
             Flag("e,env", "env", True, [], help="KEY=VALUE (repeatable)"),
             Flag("u,user", "user", True, None, help="uid[:gid]"),
             Flag("g,additional-gids", "additional_gids", True, [], help="extra gid (repeatable)"),
             Flag("c,cap", "cap", True, [], help="add a capability (repeatable)"),
             Flag("no-new-privs", "no_new_privs", help="set no_new_privs"),
             Flag("d,detach", "detach", help="do not wait for the process"),
             Flag("pid-file", "pid_file", True, None, help="write the process's pid here"),
             Flag("console-socket", "console_socket", True, None, help="unix socket that receives the pty master"),
             Flag("preserve-fds", "preserve_fds", True, 0, int, help="pass N extra fds (from 3)"),
             Flag("process-label", "process_label", True, None, help="SELinux label (not supported here)"),
             Flag("apparmor", "apparmor", True, None, help="AppArmor profile for the process")], 1, -1,
            flags_after_args=False),
    Command("pause", cmd_pause, "<container-id>", "Freeze every process of the container.", [], 1, 1),
    Command("resume", cmd_resume, "<container-id>", "Thaw a paused container.", [], 1, 1),
    Command("update", cmd_update, "[options] <container-id>", "Change a live container's cgroup limits.",
            [Flag("r,resources", "resources", True, None, help="linux.resources JSON file (- for stdin)"),
             Flag("blkio-weight", "blkio_weight", True), Flag("cpu-period", "cpu_period", True),
             Flag("cpu-quota", "cpu_quota", True), Flag("cpu-share", "cpu_share", True),
             Flag("cpu-rt-period", "cpu_rt_period", True), Flag("cpu-rt-runtime", "cpu_rt_runtime", True),
             Flag("cpuset-cpus", "cpuset_cpus", True), Flag("cpuset-mems", "cpuset_mems", True),
             Flag("memory", "memory", True), Flag("memory-reservation", "memory_reservation", True),
             Flag("memory-swap", "memory_swap", True), Flag("pids-limit", "pids_limit", True),
             Flag("kernel-memory", "kernel_memory", True, help="ignored, as by runc"),
             Flag("kernel-memory-tcp", "kernel_memory_tcp", True, help="ignored, as by runc")], 1, 1),
    Command("ps", cmd_ps, "[options] <container-id> [ps options]", "List the container's processes.",
            [Flag("f,format", "format", True, "table", help="table or json")], 1, -1, flags_after_args=False),
    Command("events", cmd_events, "[options] <container-id>", "Resource usage statistics (and OOM events) as JSON.",
            [Flag("stats", "stats", help="print one stats event and exit"),
             Flag("interval", "interval", True, "5s", help="stats interval")], 1, 1),
    Command("checkpoint", cmd_checkpoint, "[options] <container-id>", "Checkpoint a running container with CRIU.",
            _CHECKPOINT_FLAGS, 1, 1),
    Command("restore", cmd_restore, "[options] <container-id>", "Restore a container from a CRIU checkpoint.",
            _RESTORE_FLAGS, 1, 1),
    Command("network", cmd_network, "create|ls|inspect|rm|connect|disconnect [options] ...",
            "Manage bridge networks (`network --help`).", [], 0, -1, flags_after_args=False),
]}


def run_command():
    """The `ociruntime` command: main(), then an exit that skips the interpreter's
    teardown (module and cffi clean-up, ~3 ms a `run`). Every file a command writes
    is closed by then; only stdio may hold buffered bytes."""
    code = main()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code or 0)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    log = Log()
    try:
        g, rest = parse(argv, GLOBAL_FLAGS, what="global")
        log = Log(g["log"], g["log_format"], g["debug"])
        if g["version"]:
            sys.stdout.write(_version())
            return 0
        if g["help"] or not rest:
            sys.stdout.write(_usage())
            return 0 if g["help"] else 1
        return _dispatch(g, rest[0], rest[1:], log)
    except RuntimeFailure as e:
        log.error(str(e))
        return e.exit_code
    except KeyboardInterrupt:
        return 130
    except Exception as e:  # a bug: still one line (the traceback with --debug)
        if log.debug_enabled:
            import traceback
            traceback.print_exc()
        log.error(f"internal error: {type(e).__name__}: {e}")
        return 1


def _dispatch(g, name, cmd_args, log):
    cmd = COMMANDS.get(name)
    if cmd is None:
        raise InvalidArgument(f"no such command: {name}")
    o, args = parse(cmd_args, cmd.flags, what=name, flags_after_args=cmd.flags_after_args)
    o["criu"] = g["criu"]
    if o["help"] and name != "network":
        sys.stdout.write(cmd.help_text(PROG))
        return 0
    if not cmd.min_args <= len(args) <= (cmd.max_args if cmd.max_args >= 0 else len(args)):
        if cmd.min_args == 1 and not args:
            raise InvalidArgument(f"{name}: a container id is required (usage: {PROG} {name} {cmd.usage})")
        raise InvalidArgument(f"{name}: wrong number of arguments (usage: {PROG} {name} {cmd.usage})")
    trace = None
    if g["trace"]:
        from ..trace import Trace
        trace = Trace(g["trace"], name)
    if log.debug_enabled:
        from ..trace import DebugTrace
        log.debug(f"{PROG} {__version__}: {' '.join([name, *cmd_args])} (root {g['root']})")
        trace = DebugTrace(log, f"{name} {args[0] if args else ''}".rstrip(), trace)
    from ..api import Runtime
    try:
        rt = Runtime(g["root"], warn=log.warning, systemd_cgroup=g["systemd_cgroup"])
        code = cmd.handler(rt, o, args if name != "network" else cmd_args, log, trace)
        log.debug(f"{name}: exit status {code or 0}")
        return code
    finally:
        if trace:
            trace.write()
