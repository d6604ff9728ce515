"""The one busybox rootfs every container shares, and the small per-container bundle
directories (config.json only) that point at it: each container needs its own cgroupsPath,
so configs differ while the rootfs is shared (read-only)."""
import copy
import json
import os
import shutil
import subprocess

BUSYBOX = "/bin/busybox"
MOUNTPOINTS = ("proc", "sys", "dev", "tmp", "etc", "root")


def make_rootfs(rootfs, busybox=BUSYBOX):
    """rootfs/bin/busybox plus `busybox --install -s` applet links (run chrooted so every
    link points at /bin/busybox inside the rootfs)."""
    bindir = os.path.join(rootfs, "bin")
    os.makedirs(bindir)
    for name in MOUNTPOINTS:
        os.makedirs(os.path.join(rootfs, name))
    shutil.copy2(busybox, os.path.join(bindir, "busybox"))
    subprocess.run(["chroot", rootfs, "/bin/busybox", "--install", "-s", "/bin"], check=True)
    if not os.path.islink(os.path.join(bindir, "true")):
        raise RuntimeError("busybox --install did not create /bin/true")


def base_config(spec_runtime, workdir, rootfs):
    """`<runtime> spec` output with terminal off and an absolute root.path."""
    specdir = os.path.join(workdir, "spec")
    os.makedirs(specdir)
    subprocess.run([spec_runtime, "spec"], cwd=specdir, check=True)
    with open(os.path.join(specdir, "config.json")) as f:
        config = json.load(f)
    config["process"]["terminal"] = False
    config["root"]["path"] = os.path.abspath(rootfs)
    return config


def variant(config, args, network_ns=True):
    """A config running args, with or without its own network namespace."""
    result = copy.deepcopy(config)
    result["process"]["args"] = list(args)
    if not network_ns:
        result["linux"]["namespaces"] = [ns for ns in result["linux"]["namespaces"] if ns["type"] != "network"]
    return result


def write_bundle(bundles_dir, container_id, config, cgroups_path):
    """A bundle directory for one container: the config with its own relative cgroupsPath."""
    bundle = os.path.join(bundles_dir, container_id)
    os.mkdir(bundle)
    with open(os.path.join(bundle, "config.json"), "w") as f:
        json.dump({**config, "linux": {**config["linux"], "cgroupsPath": cgroups_path}}, f)
    return bundle
