"""Expanding an OCI "cgroup" mount on a v1 host into the steps runc performs."""

import os

# runc mounts the tmpfs holding the hierarchies with these flags, whatever the spec mount says.
TMPFS_OPTIONS = ["nosuid", "noexec", "nodev", "mode=755"]


def container_mounts(paths, mountpoints, mount, cgroupns):
    """Ordered steps, each {"source", "destination", "type", "options"}: a tmpfs at the destination;
    per hierarchy a "cgroup" mount (own cgroup namespace) or a bind of the container's cgroup
    directory; "symlink" steps (source = link target) for comounted controllers ("cpu" ->
    "cpu,cpuacct"); and, for a read-only mount, a final read-only remount of the tmpfs."""
    dest = mount["destination"].rstrip("/") or "/"
    options = [o for o in mount.get("options") or [] if o not in ("rbind", "bind")]
    steps = [{"source": "tmpfs", "destination": dest, "type": "tmpfs", "options": list(TMPFS_OPTIONS)}]
    symlinks = []
    for key, mountpoint in mountpoints.items():
        if not key:
            continue
        name = os.path.basename(mountpoint)
        target = f"{dest}/{name}"
        if cgroupns:
            source = "systemd" if key == "name=systemd" else "cgroup"
            steps.append({"source": source, "destination": target, "type": "cgroup",
                          "options": options + key.split(",")})
        else:
            steps.append({"source": paths[key], "destination": target, "type": "bind",
                          "options": ["rbind"] + options})
        symlinks.extend({"source": name, "destination": f"{dest}/{ctrl}", "type": "symlink", "options": []}
                        for ctrl in key.split(",") if ctrl != name and not ctrl.startswith("name="))
    steps.extend(symlinks)
    if "ro" in options:
        steps.append({"source": dest, "destination": dest, "type": "bind",
                      "options": ["remount", "bind", "ro", "nosuid", "noexec", "nodev"]})
    return steps
