#!/usr/bin/env python3
"""Make an OCI bundle whose rootfs is busybox-static (for the quick start, tests, bench).

usage: make_busybox_bundle.py DIR [ARG...]   (default ARGs: a hello-world shell line)
The config is `ociruntime spec`'s default with terminal off and ARGs as process.args."""
import json
import os
import shutil
import subprocess
import sys

HELLO = ["sh", "-c", "echo hello from $(hostname): pid $$, uid $(id -u), $(ls /proc/self/fd | wc -l) fds open"]


def make_bundle(bundle, args=None, busybox=None):
    from ociruntime.spec.default_spec import default_spec
    busybox = busybox or shutil.which("busybox") or "/bin/busybox"
    rootfs = os.path.join(bundle, "rootfs")
    for d in ("bin", "proc", "sys", "dev", "etc", "tmp", "root"):
        os.makedirs(os.path.join(rootfs, d), exist_ok=True)
    target = os.path.join(rootfs, "bin", "busybox")
    shutil.copy2(busybox, target)
    applets = subprocess.run([target, "--list"], check=True, capture_output=True, text=True).stdout.split()
    for applet in applets:
        link = os.path.join(rootfs, "bin", applet)
        if not os.path.lexists(link):
            os.symlink("busybox", link)
    with open(os.path.join(rootfs, "etc", "passwd"), "w") as f:
        f.write("root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n")
    with open(os.path.join(rootfs, "etc", "group"), "w") as f:
        f.write("root:x:0:\nnogroup:x:65534:\n")
    config = default_spec()
    config["process"]["terminal"] = False
    config["process"]["args"] = list(args or HELLO)
    with open(os.path.join(bundle, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    return config


if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1].startswith("-"):  # `--help` once became a bundle named --help
        sys.exit(__doc__)
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    make_bundle(sys.argv[1], sys.argv[2:] or None)
