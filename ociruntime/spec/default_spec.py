"""`spec`: the default config.json, the same as `runc spec` writes (and its
--rootless variant: a user namespace mapping the caller, no cgroup limits)."""
import json
import os

from ..errors import RuntimeFailure

_CAPS = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]


def default_spec():
    return {
        "ociVersion": "1.2.0",
        "process": {
            "terminal": True, "user": {"uid": 0, "gid": 0}, "args": ["sh"],
            "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"],
            "cwd": "/",
            "capabilities": {k: list(_CAPS) for k in ("bounding", "effective", "permitted", "ambient")},
            "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
            "noNewPrivileges": True,
        },
        "root": {"path": "rootfs", "readonly": True},
        "hostname": "ociruntime",
        "mounts": [
            {"destination": "/proc", "type": "proc", "source": "proc"},
            {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
             "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
            {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
             "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]},
            {"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
             "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
            {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue", "options": ["nosuid", "noexec", "nodev"]},
            {"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", "ro"]},
            {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
             "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]},
        ],
        "linux": {
            "resources": {"devices": [{"allow": False, "access": "rwm"}]},
            # runc 1.1's default: no cgroup namespace (engines add their own; a second is refused)
            "namespaces": [{"type": t} for t in ("pid", "network", "ipc", "uts", "mount")],
            "maskedPaths": ["/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
                            "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware",
                            "/proc/scsi"],
            "readonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"],
        },
    }


def rootless_spec(uid, gid):
    spec = default_spec()
    lin = spec["linux"]
    lin["namespaces"] = [{"type": t} for t in ("pid", "ipc", "uts", "mount", "user")]
    lin["uidMappings"] = [{"containerID": 0, "hostID": uid, "size": 1}]
    lin["gidMappings"] = [{"containerID": 0, "hostID": gid, "size": 1}]
    del lin["resources"]
    mounts = [m for m in spec["mounts"] if m["type"] not in ("cgroup", "sysfs", "mqueue")]
    for m in mounts:
        if m["type"] == "devpts":
            m["options"] = [o for o in m["options"] if o != "gid=5"]
    mounts.append({"destination": "/sys", "type": "none", "source": "/sys",
                   "options": ["rbind", "nosuid", "noexec", "nodev", "ro"]})
    spec["mounts"] = mounts
    return spec


def write_default_spec(bundle, rootless=False):
    path = os.path.join(bundle, "config.json")
    if os.path.exists(path):
        raise RuntimeFailure(f"File {path} exists. Remove it first")
    spec = rootless_spec(os.getuid(), os.getgid()) if rootless else default_spec()
    with open(path, "w") as f:
        json.dump(spec, f, indent="\t")
        f.write("\n")
