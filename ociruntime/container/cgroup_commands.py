"""The commands that act on a container through its cgroup: pause, resume,
update, ps, events (runc's behaviour and output shapes)."""
import sys
import time

from .. import jsonio as json
from ..errors import RuntimeFailure
from .state import Container


def _load_live(root, container_id, allowed, verb):
    c = Container.load(root, container_id)
    status = c.status()
    if status not in allowed:
        c.close()
        raise RuntimeFailure(f"cannot {verb} container {container_id}: it is {status}")
    return c


def pause(root, container_id):
    c = _load_live(root, container_id, ("running", "created"), "pause")
    try:
        c.cgroup().freeze()
    finally:
        c.close()


def resume(root, container_id):
    c = _load_live(root, container_id, ("paused",), "resume")
    try:
        c.cgroup().thaw()
    finally:
        c.close()


_UNITS = {"": 1, "b": 1, "k": 1 << 10, "kb": 1 << 10, "m": 1 << 20, "mb": 1 << 20,
          "g": 1 << 30, "gb": 1 << 30, "t": 1 << 40, "tb": 1 << 40}


def parse_bytes(text):
    """"96m", "1g", "1024", "-1" -> bytes, as runc's --memory flags take them."""
    t = text.strip().lower()
    split = len(t.rstrip("kmgtb"))
    try:
        return int(float(t[:split]) * _UNITS[t[split:]])
    except (KeyError, ValueError):
        raise RuntimeFailure(f"invalid size: {text}") from None


# flag dest -> (section, key, parser)
UPDATE_FLAGS = {
    "blkio_weight": ("blockIO", "weight", int), "cpu_period": ("cpu", "period", int),
    "cpu_quota": ("cpu", "quota", int), "cpu_share": ("cpu", "shares", int),
    "cpu_rt_period": ("cpu", "realtimePeriod", int), "cpu_rt_runtime": ("cpu", "realtimeRuntime", int),
    "cpuset_cpus": ("cpu", "cpus", str), "cpuset_mems": ("cpu", "mems", str),
    "memory": ("memory", "limit", parse_bytes), "memory_reservation": ("memory", "reservation", parse_bytes),
    "memory_swap": ("memory", "swap", parse_bytes), "pids_limit": ("pids", "limit", int),
}


def _merge(base, change):
    merged = dict(base)
    for key, value in change.items():
        merged[key] = _merge(base.get(key) or {}, value) if isinstance(value, dict) else value
    return merged


def resources_from_flags(opts):
    """linux.resources from `update`'s flags, or from --resources FILE (`-`: stdin)."""
    if opts.get("resources"):
        src = opts["resources"]
        try:
            text = sys.stdin.read() if src == "-" else open(src).read()
            change = json.loads(text)
        except (OSError, ValueError) as e:
            raise RuntimeFailure(f"update --resources {src}: {e}") from None
        if not isinstance(change, dict):
            raise RuntimeFailure(f"update --resources {src}: expected a JSON object")
        return change
    change = {}
    for dest, (section, key, parse) in UPDATE_FLAGS.items():
        value = opts.get(dest)
        if value is not None:
            try:
                change.setdefault(section, {})[key] = parse(value)
            except ValueError:
                raise RuntimeFailure(f"update: invalid value {value!r} for --{dest.replace('_', '-')}") from None
    return change


def update(root, container_id, change):
    c = _load_live(root, container_id, ("running", "created", "paused"), "update")
    try:
        lin = c.state["config"].setdefault("linux", {})
        merged = _merge(lin.get("resources") or {}, {k: v for k, v in change.items() if k != "devices"})
        c.cgroup().update({k: v for k, v in merged.items() if k != "devices"})
        lin["resources"] = merged
        c.save()
    finally:
        c.close()


def pids(root, container_id):
    c = Container.load(root, container_id)
    try:
        return sorted(c.cgroup().pids()) if c.status() != "stopped" else []
    finally:
        c.close()


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


def _stats_event(c):
    return {"type": "stats", "id": c.id, "data": c.cgroup().stats()}


def events(root, container_id, stats_once, interval):
    """Print one stats event, or stream stats every `interval` seconds (and OOM
    events as they happen) until the container stops."""
    c = Container.load(root, container_id)
    try:
        if c.status() == "stopped":
            raise RuntimeFailure(f"container {container_id} is stopped")
    finally:
        c.close()  # not held while streaming: exec, pause, kill, delete must go on meanwhile
    if stats_once:
        sys.stdout.write(json.dumps(_stats_event(c)) + "\n")
        return
    mgr = c.cgroup()
    ooms = mgr.oom_events()
    next_stats = 0.0
    while c.init_alive():
        now = time.monotonic()
        if now >= next_stats:
            sys.stdout.write(json.dumps(_stats_event(c)) + "\n")
            next_stats = now + interval
        count = mgr.oom_events()
        if count > ooms:
            sys.stdout.write(json.dumps({"type": "oom", "id": c.id}) + "\n")
            ooms = count
        sys.stdout.flush()
        time.sleep(min(interval, 0.2))


def parse_interval(text):
    """"5s", "500ms", "1m", "2" -> seconds."""
    for suffix, scale in (("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)):
        if text.endswith(suffix) and text[:-len(suffix)].replace(".", "", 1).isdigit():
            return float(text[:-len(suffix)]) * scale
    if text.replace(".", "", 1).isdigit():
        return float(text)
    raise RuntimeFailure(f"invalid interval: {text}")
