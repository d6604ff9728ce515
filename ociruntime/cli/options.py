"""Command-line options into the API's arguments: sizes, intervals, `update`'s flags,
`exec`'s flags and --process file, and `ps`'s table. Nothing below the CLI reads an
option dict, a file named on the command line or stdin."""
import sys

from .. import jsonio
from ..errors import ConfigError, InvalidArgument, RuntimeFailure

_UNITS = {"": 1, "b": 1, "k": 1 << 10, "kb": 1 << 10, "m": 1 << 20, "mb": 1 << 20,
          "g": 1 << 30, "gb": 1 << 30, "t": 1 << 40, "tb": 1 << 40}


def parse_bytes(text):
    """"96m", "1g", "1024", "-1" -> bytes, as runc's --memory flags take them."""
    t = text.strip().lower()
    split = len(t.rstrip("kmgtb"))
    try:
        return int(float(t[:split]) * _UNITS[t[split:]])
    except (KeyError, ValueError):
        raise InvalidArgument(f"invalid size: {text}") from None


# flag dest -> (section, key, parser)
UPDATE_FLAGS = {
    "blkio_weight": ("blockIO", "weight", int), "cpu_period": ("cpu", "period", int),
    "cpu_quota": ("cpu", "quota", int), "cpu_share": ("cpu", "shares", int),
    "cpu_rt_period": ("cpu", "realtimePeriod", int), "cpu_rt_runtime": ("cpu", "realtimeRuntime", int),
    "cpuset_cpus": ("cpu", "cpus", str), "cpuset_mems": ("cpu", "mems", str),
    "memory": ("memory", "limit", parse_bytes), "memory_reservation": ("memory", "reservation", parse_bytes),
    "memory_swap": ("memory", "swap", parse_bytes), "pids_limit": ("pids", "limit", int),
}


def resources_from_flags(opts):
    """linux.resources from `update`'s flags, or from --resources FILE (`-`: stdin)."""
    if opts.get("resources"):
        src = opts["resources"]
        try:
            if src == "-":
                text = sys.stdin.read()
            else:
                with open(src) as f:
                    text = f.read()
            change = jsonio.loads(text)
        except (OSError, ValueError) as e:
            raise InvalidArgument(f"update --resources {src}: {e}") from None
        if not isinstance(change, dict):
            raise InvalidArgument(f"update --resources {src}: expected a JSON object")
        return change
    change = {}
    for dest, (section, key, parse) in UPDATE_FLAGS.items():
        value = opts.get(dest)
        if value is not None:
            try:
                change.setdefault(section, {})[key] = parse(value)
            except ValueError:
                raise InvalidArgument(f"update: invalid value {value!r} for --{dest.replace('_', '-')}") from None
    return change


def parse_interval(text):
    """"5s", "500ms", "1m", "2" -> seconds."""
    for suffix, scale in (("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)):
        if text.endswith(suffix) and text[:-len(suffix)].replace(".", "", 1).isdigit():
            return float(text[:-len(suffix)]) * scale
    if text.replace(".", "", 1).isdigit():
        return float(text)
    raise InvalidArgument(f"invalid interval: {text}")


def load_process(path):
    """The --process JSON (runtime-spec `process` object)."""
    from ..container.exec import check_process
    try:
        with open(path) as f:
            process = jsonio.loads(f.read())
    except OSError as e:
        raise InvalidArgument(f"--process {path}: {e.strerror}") from None
    except ValueError as e:
        raise ConfigError("", f"invalid JSON: {e}", source=f"--process {path}") from None
    check_process(process, f"--process {path}")
    return process


def process_from_flags(base, args, o):
    """runc's exec: the container's process with the command line's changes."""
    from ..container.exec import process_with
    if o["process_label"]:
        raise RuntimeFailure("exec: SELinux is not enabled on this host")
    if o["apparmor"]:
        from ..spec.plan import apparmor_enabled
        if not apparmor_enabled():
            raise RuntimeFailure("exec: AppArmor is not enabled on this host")
    user = None
    if o["user"]:
        uid, _, gid = o["user"].partition(":")
        try:
            user = (int(uid), int(gid or 0))
        except ValueError:
            raise InvalidArgument(f"--user {o['user']}: expected uid[:gid] as numbers") from None
    try:
        gids = [int(g) for g in o["additional_gids"]]
    except ValueError:
        raise InvalidArgument(f"--additional-gids {o['additional_gids']}: expected numbers") from None
    return process_with(base, args, terminal=o["tty"], env=o["env"], cwd=o["cwd"], user=user,
                        additional_gids=gids, caps=o["cap"], no_new_privileges=o["no_new_privs"],
                        apparmor_profile=o["apparmor"])


def ps_table(pid_list, ps_args):
    """`ps` output restricted to the container's pids, as runc prints it."""
    import subprocess
    out = subprocess.run(["ps"] + (ps_args or ["-ef"]), capture_output=True, text=True, check=False).stdout
    lines = out.splitlines()
    if not lines:
        return ""
    header = lines[0]
    try:
        col = header.split().index("PID")
    except ValueError:
        raise RuntimeFailure("ps: couldn't find the PID field in ps output") from None
    wanted = set(pid_list)
    rows = [line for line in lines[1:] if line.split()[col].isdigit() and int(line.split()[col]) in wanted]
    return "\n".join([header] + rows) + "\n"
