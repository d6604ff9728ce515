"""The `ociruntime` command: runc's global flags and commands, each a thin call
into the library (ociruntime.lifecycle and friends)."""
import os
import sys

from .. import __version__, SPEC_VERSION
from ..errors import RuntimeFailure
from ..log import Log
from .args import Command, Flag, parse

PROG = "ociruntime"

GLOBAL_FLAGS = [
    Flag("root", "root", True, os.environ.get("OCIRUNTIME_ROOT", "/run/ociruntime"), help="state directory root"),
    Flag("log", "log", True, None, help="log file (default: stderr only)"),
    Flag("log-format", "log_format", True, "text", help="text or json"),
    Flag("debug", "debug", help="debug logging"),
    Flag("systemd-cgroup", "systemd_cgroup", help="use systemd cgroups (not supported)"),
    Flag("rootless", "rootless", True, "auto", help="ignored: rootless mode is detected"),
    Flag("criu", "criu", True, "criu", help="ignored: checkpoint/restore is not supported"),
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

COMMANDS = {c.name: c for c in [
    Command("create", "[options] <container-id>", "Create a container from a bundle; `start` runs its process.",
            _CREATE_FLAGS, 1, 1),
    Command("start", "<container-id>", "Run the user process of a created container.", [], 1, 1),
    Command("run", "[options] <container-id>", "Create and start a container, then wait for it (unless --detach).",
            _CREATE_FLAGS + [Flag("d,detach", "detach", help="do not wait for the container"),
                             Flag("keep", "keep", help="do not delete the container after it exits")], 1, 1),
    Command("state", "<container-id>", "Print the container's state as JSON.", [], 1, 1),
    Command("kill", "[options] <container-id> [signal]", "Send a signal (default SIGTERM) to the container's init.",
            [Flag("a,all", "all", help="signal every process in the container")], 1, 2),
    Command("delete", "[options] <container-id>", "Delete a stopped container and what it holds.",
            [Flag("f,force", "force", help="kill a running container first")], 1, 1),
    Command("list", "[options]", "List containers.",
            [Flag("f,format", "format", True, "table", help="table or json"),
             Flag("q,quiet", "quiet", help="only ids")], 0, 0),
    Command("spec", "[options]", "Write a default config.json.",
            [Flag("b,bundle", "bundle", True, ".", help="directory to write config.json in"),
             Flag("rootless", "rootless", help="a config for a non-root user")], 0, 0),
    Command("features", "", "Print the features this runtime supports as JSON.", [], 0, 0),
    Command("exec", "[options] <container-id> [command [args...]]", "Run a new process in a running container.",
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
             Flag("apparmor", "apparmor", True, None, help="AppArmor profile (not supported here)")], 1, -1),
    Command("pause", "<container-id>", "Freeze every process of the container.", [], 1, 1),
    Command("resume", "<container-id>", "Thaw a paused container.", [], 1, 1),
    Command("update", "[options] <container-id>", "Change a live container's cgroup limits.",
            [Flag("r,resources", "resources", True, None, help="linux.resources JSON file (- for stdin)"),
             Flag("blkio-weight", "blkio_weight", True), Flag("cpu-period", "cpu_period", True),
             Flag("cpu-quota", "cpu_quota", True), Flag("cpu-share", "cpu_share", True),
             Flag("cpu-rt-period", "cpu_rt_period", True), Flag("cpu-rt-runtime", "cpu_rt_runtime", True),
             Flag("cpuset-cpus", "cpuset_cpus", True), Flag("cpuset-mems", "cpuset_mems", True),
             Flag("memory", "memory", True), Flag("memory-reservation", "memory_reservation", True),
             Flag("memory-swap", "memory_swap", True), Flag("pids-limit", "pids_limit", True),
             Flag("kernel-memory", "kernel_memory", True, help="ignored, as by runc"),
             Flag("kernel-memory-tcp", "kernel_memory_tcp", True, help="ignored, as by runc")], 1, 1),
    Command("ps", "[options] <container-id> [ps options]", "List the container's processes.",
            [Flag("f,format", "format", True, "table", help="table or json")], 1, -1),
    Command("events", "[options] <container-id>", "Resource usage statistics (and OOM events) as JSON.",
            [Flag("stats", "stats", help="print one stats event and exit"),
             Flag("interval", "interval", True, "5s", help="stats interval")], 1, 1),
]}


def _usage():
    lines = [f"Usage: {PROG} [global options] command [command options] [arguments...]", "", "Commands:"]
    lines += [f"   {c.name:<10} {c.summary}" for c in COMMANDS.values()]
    lines += ["   network    Manage bridge networks (`network --help`)", "", "Global options:"]
    for f in GLOBAL_FLAGS:
        names = ", ".join(("-" if len(n) == 1 else "--") + n for n in f.names)
        lines.append(f"   {names + (' value' if f.takes_value else ''):<32} {f.help}")
    return "\n".join(lines) + "\n"


def _version():
    return f"{PROG} version {__version__}\ncommit: {__version__}\nspec: {SPEC_VERSION}\n"


def cmd_create(g, o, args, log, trace):
    from ..container import lifecycle
    lifecycle.create(g["root"], args[0], o["bundle"], pid_file=o["pid_file"], console_socket=o["console_socket"],
                     no_pivot=o["no_pivot"], preserve_fds=o["preserve_fds"], log=log, trace=trace).close()
    return 0


def cmd_start(g, o, args, log, trace):
    from ..container import lifecycle
    lifecycle.start(g["root"], args[0], log.warning)
    return 0


def cmd_run(g, o, args, log, trace):
    from .run import run
    return run(g["root"], args[0], o, log, trace)


def cmd_state(g, o, args, log, trace):
    from .. import jsonio as json
    from ..container import lifecycle
    sys.stdout.write(json.dumps(lifecycle.state(g["root"], args[0]), indent=2) + "\n")
    return 0


def cmd_kill(g, o, args, log, trace):
    from ..container import lifecycle
    from ..container.signals import parse_signal
    sig = parse_signal(args[1] if len(args) > 1 else "SIGTERM")
    lifecycle.kill(g["root"], args[0], sig, o["all"])
    return 0


def cmd_delete(g, o, args, log, trace):
    from ..container import lifecycle
    lifecycle.delete(g["root"], args[0], o["force"], log.warning)
    return 0


def cmd_list(g, o, args, log, trace):
    from ..container import lifecycle
    states = lifecycle.list_states(g["root"])
    if o["quiet"]:
        sys.stdout.write("".join(s["id"] + "\n" for s in states))
    elif o["format"] == "json":
        from .. import jsonio as json
        sys.stdout.write(json.dumps([{k: s[k] for k in ("ociVersion", "id", "pid", "status", "bundle", "rootfs",
                                                         "created", "owner")} for s in states]) + "\n")
    elif o["format"] == "table":
        rows = [("ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER")]
        rows += [(s["id"], str(s["pid"]), s["status"], s["bundle"], s["created"], s["owner"]) for s in states]
        widths = [max(len(r[i]) for r in rows) for i in range(6)]
        for r in rows:
            sys.stdout.write("   ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip() + "\n")
    else:
        raise RuntimeFailure(f"invalid format option: {o['format']}")
    return 0


def cmd_spec(g, o, args, log, trace):
    from ..spec.default_spec import write_default_spec
    write_default_spec(o["bundle"], rootless=o["rootless"])
    return 0


def cmd_features(g, o, args, log, trace):
    from .. import jsonio as json
    from ..spec.features import features
    sys.stdout.write(json.dumps(features(), indent=2) + "\n")
    return 0


def cmd_exec(g, o, args, log, trace):
    from ..container import exec as execmod
    if o["process"]:
        process = execmod.load_process(o["process"])
    elif len(args) < 2:
        raise RuntimeFailure(f"exec: a command is required (usage: {PROG} exec {COMMANDS['exec'].usage})")
    else:
        from ..container.state import Container
        c = Container.load(g["root"], args[0])
        base = c.state["config"]["process"]
        c.close()
        process = execmod.process_from_flags(base, args[1:], o)
    return execmod.exec_process(g["root"], args[0], process, pid_file=o["pid_file"],
                                console_socket=o["console_socket"], detach=o["detach"],
                                preserve_fds=o["preserve_fds"])


def cmd_pause(g, o, args, log, trace):
    from ..container import cgroup_commands
    cgroup_commands.pause(g["root"], args[0])
    return 0


def cmd_resume(g, o, args, log, trace):
    from ..container import cgroup_commands
    cgroup_commands.resume(g["root"], args[0])
    return 0


def cmd_update(g, o, args, log, trace):
    from ..container import cgroup_commands
    cgroup_commands.update(g["root"], args[0], cgroup_commands.resources_from_flags(o))
    return 0


def cmd_ps(g, o, args, log, trace):
    from .. import jsonio as json
    from ..container import cgroup_commands
    pids = cgroup_commands.pids(g["root"], args[0])
    if o["format"] == "json":
        sys.stdout.write(json.dumps(pids) + "\n")
    elif o["format"] == "table":
        sys.stdout.write(cgroup_commands.ps_table(pids, args[1:]))
    else:
        raise RuntimeFailure(f"invalid format option: {o['format']}")
    return 0


def cmd_events(g, o, args, log, trace):
    from ..container import cgroup_commands
    cgroup_commands.events(g["root"], args[0], o["stats"], cgroup_commands.parse_interval(o["interval"]))
    return 0


HANDLERS = {"create": cmd_create, "start": cmd_start, "run": cmd_run, "state": cmd_state, "kill": cmd_kill,
            "delete": cmd_delete, "list": cmd_list, "spec": cmd_spec, "features": cmd_features,
            "exec": cmd_exec, "pause": cmd_pause, "resume": cmd_resume, "update": cmd_update, "ps": cmd_ps, "events": cmd_events}


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
        if g["systemd_cgroup"]:
            raise RuntimeFailure("--systemd-cgroup is not supported: ociruntime manages cgroups through cgroupfs")
        name, cmd_args = rest[0], rest[1:]
        if name == "network":
            from ..container.lifecycle import pid_for_network
            from ..network.cli import main as network_main
            return network_main(cmd_args, pid_of=lambda cid: pid_for_network(g["root"], cid))
        return _dispatch(g, name, cmd_args, log)
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
        raise RuntimeFailure(f"no such command: {name}")
    o, args = parse(cmd_args, cmd.flags, what=name)
    if o["help"]:
        sys.stdout.write(cmd.help_text(PROG))
        return 0
    if not cmd.min_args <= len(args) <= (cmd.max_args if cmd.max_args >= 0 else len(args)):
        if cmd.min_args == 1 and not args:
            raise RuntimeFailure(f"{name}: a container id is required (usage: {PROG} {name} {cmd.usage})")
        raise RuntimeFailure(f"{name}: wrong number of arguments (usage: {PROG} {name} {cmd.usage})")
    trace = None
    if g["trace"]:
        from ..trace import Trace
        trace = Trace(g["trace"], name)
    try:
        return HANDLERS[name](g, o, args, log, trace)
    finally:
        if trace:
            trace.write()
