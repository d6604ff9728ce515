"""The commands that act on a container through its cgroup: pause, resume,
update, ps, events (runc's behaviour and data shapes; printing is the CLI's)."""
import time

from ..errors import WrongState
from .state import StateDir


def _load_live(root, container_id, allowed, verb):
    c = StateDir.load(root, container_id)
    status = c.status()
    if status not in allowed:
        c.close()
        raise WrongState(f"cannot {verb} container {container_id}: it is {status}", status)
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


def _merge(base, change):
    merged = dict(base)
    for key, value in change.items():
        merged[key] = _merge(base.get(key) or {}, value) if isinstance(value, dict) else value
    return merged


def update(root, container_id, change):
    c = _load_live(root, container_id, ("running", "created", "paused"), "update")
    try:
        lin = c.state["config"].setdefault("linux", {})
        merged = _merge(lin.get("resources") or {}, {k: v for k, v in change.items() if k != "devices"})
        applied = {k: v for k, v in merged.items() if k != "devices"}
        if change.get("devices"):
            applied["devices"] = c.state["device_rules"] = _device_rules_after(c.state, lin, change["devices"])
        c.cgroup().update(applied)
        lin["resources"] = merged
        c.save()
    finally:
        c.close()


def _device_rules_after(state, lin, rules):
    """Every device rule in force, in order, once `rules` apply on top of the current ones
    (a leading deny-all clears what was allowed): v1 writes them over the current state,
    v2 builds its filter program from the whole list."""
    from ..cgroups import resources_for_spec
    current = state.get("device_rules") or resources_for_spec(lin)["devices"]
    return list(current) + list(rules)


def pids(root, container_id):
    c = StateDir.load(root, container_id)
    try:
        return sorted(c.cgroup().pids()) if c.status() != "stopped" else []
    finally:
        c.close()


def _stats_event(c):
    return {"type": "stats", "id": c.id, "data": c.cgroup().stats()}


def _load_running(root, container_id):
    """The container, unlocked: exec, pause, kill, delete must go on while events stream."""
    c = StateDir.load(root, container_id)
    try:
        if c.status() == "stopped":
            raise WrongState(f"container {container_id} is stopped", "stopped")
    finally:
        c.close()
    return c


def stats(root, container_id):
    """One stats event: {"type": "stats", "id", "data": runc's types.Stats}."""
    return _stats_event(_load_running(root, container_id))


def events(root, container_id, interval):
    """Yield a stats event every `interval` seconds (and an OOM event as each
    happens) until the container stops."""
    c = _load_running(root, container_id)
    mgr = c.cgroup()
    ooms = mgr.oom_events()
    next_stats = 0.0
    while c.init_alive():
        now = time.monotonic()
        if now >= next_stats:
            yield _stats_event(c)
            next_stats = now + interval
        count = mgr.oom_events()
        if count > ooms:
            yield {"type": "oom", "id": c.id}
            ooms = count
        time.sleep(min(interval, 0.2))
