"""The bench's view of the cgroup hierarchies: where its own cgroups are, what a container
joined, and removal of the bench's cgroup subtree afterwards."""
import errno
import os
import signal
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Hierarchy:
    """One mounted cgroup hierarchy and this process's cgroup in it."""
    label: str        # "memory", "name=systemd", "unified" (cgroup2)
    mountpoint: str   # /sys/fs/cgroup/memory
    own_path: str     # this process's cgroup, as /proc/self/cgroup shows it
    own_dir: str      # that cgroup's directory on the host

    @property
    def is_v2(self):
        return self.label == "unified"


def hierarchies():
    """Every mounted cgroup hierarchy this process is in (v1 controllers and cgroup2)."""
    own = _own_cgroups()
    found = []
    for mount_root, mountpoint, fstype, superopts in _cgroup_mounts():
        if fstype == "cgroup2":
            label = "unified"
        else:
            opts = set(superopts.split(","))
            label = next((key for key in own if key != "unified" and set(key.split(",")) <= opts), None)
        if label is None or label not in own:
            continue
        relative = os.path.relpath(own[label], mount_root)
        own_dir = os.path.normpath(os.path.join(mountpoint, relative))
        found.append(Hierarchy(label, mountpoint, own[label], own_dir))
    return found


def _own_cgroups():
    own = {}
    with open("/proc/self/cgroup") as f:
        for line in f:
            _, controllers, path = line.rstrip("\n").split(":", 2)
            own[controllers or "unified"] = path
    return own


def _cgroup_mounts():
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields, _, tail = line.partition(" - ")
            fstype, _, superopts = tail.split()[:3]
            if fstype in ("cgroup", "cgroup2"):
                parts = fields.split()
                yield parts[3], parts[4], fstype, superopts


def process_cgroups(pid):
    """{hierarchy label: cgroup path} of a process, from /proc/PID/cgroup."""
    result = {}
    with open(f"/proc/{pid}/cgroup") as f:
        for line in f:
            _, controllers, path = line.rstrip("\n").split(":", 2)
            result[controllers or "unified"] = path
    return result


def describe_placement(observed, hier, parent_name):
    """One line saying which hierarchies a container joined and whether each cgroup is
    beneath the bench's own cgroup, inside the bench's parent directory."""
    v1 = [h for h in hier if not h.is_v2]
    inside = [h.label for h in hier
              if observed.get(h.label, "").startswith(_join(h.own_path, parent_name) + "/")]
    v1_inside = sum(1 for h in v1 if h.label in inside)
    v2 = "and cgroup2 (unified)" if "unified" in inside else "not cgroup2"
    outside = [f"{label}:{path}" for label, path in observed.items() if label not in inside]
    text = f"joined {v1_inside}/{len(v1)} v1 hierarchies {v2} beneath the bench's own cgroup"
    if outside:
        text += "; elsewhere: " + ", ".join(outside)
    return text


def _join(own_path, name):
    return own_path.rstrip("/") + "/" + name


def bench_dirs(hier, parent_name):
    """The bench's parent cgroup directory in every hierarchy (existing or not)."""
    return [os.path.join(h.own_dir, parent_name) for h in hier]


def remove_tree(top):
    """Remove a cgroup subtree bottom-up; processes still inside (container processes the
    bench started) are SIGKILLed first. Returns the directories that could not be removed."""
    if not os.path.isdir(top):
        return []
    left = []
    for dirpath, _, _ in sorted(os.walk(top), key=lambda entry: -entry[0].count("/")):
        error = _rmdir_killing_members(dirpath)
        if error:
            left.append(f"{dirpath}: {error}")
    return left


def _rmdir_killing_members(cgroup_dir, grace_s=2.0):
    deadline = time.monotonic() + grace_s
    while True:
        _kill_members(cgroup_dir)
        try:
            os.rmdir(cgroup_dir)
            return None
        except FileNotFoundError:
            return None
        except OSError as exc:
            if exc.errno != errno.EBUSY or time.monotonic() > deadline:
                return exc.strerror
        time.sleep(0.02)


def _kill_members(cgroup_dir):
    try:
        with open(os.path.join(cgroup_dir, "cgroup.procs")) as f:
            pids = [int(line) for line in f if line.strip()]
    except OSError:
        return
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
