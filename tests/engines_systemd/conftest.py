"""Engines with their defaults on a systemd + pure cgroup v2 host, ociruntime as their runtime:
only inside the VM that tests/vm/run_systemd.sh boots (../shared/vmrun --systemd; VMRUN=1),
since the set-up writes /etc (the VM's tmpfs overlay) and starts the distribution's units.

- storage: /var/lib/docker, /var/lib/containerd and /var/lib/containers are tmpfs mounts
  (overlay storage on the VM's overlay root fails with EXDEV);
- Docker (docker.service, containerd.service): /etc/docker/daemon.json only makes
  ociruntime the default runtime, as a user would (no native.cgroupdriver: Docker picks
  systemd here; its default bridge network and iptables rules live in the VM's kernel);
- podman: /etc/containers/containers.conf names ociruntime as the runtime; cgroup_manager
  keeps its default (systemd);
- ctr: `ctr run --runc-binary ... --runc-systemd-cgroup`, as kubelet's SystemdCgroup = true;
- securityfs is mounted as on a standard host (the VM's systemd leaves it out): Docker and
  podman then see the kernel's AppArmor and name their default profiles (docker-default,
  containers-default-*) in every process they pass;
- ctr and podman run the busybox rootfs the session makes (--rootfs), Docker the image "bb" made from it.
The runtime the engines call is a wrapper that notes each call's arguments
($OCI_ENGINE_TRACE, default /run/ociruntime-engine-calls) and execs ociruntime."""
import os
import shutil
import subprocess
import sys

import pytest
from support import ociruntime_command, reap_orphans
from support.apparmor import mounted_securityfs

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CGROUP2 = "/sys/fs/cgroup"
STORAGE = ("/var/lib/docker", "/var/lib/containerd", "/var/lib/containers")
WRAPPER = "/run/ociruntime-engines/ociruntime"
CALLS = os.environ.get("OCI_ENGINE_TRACE", "/run/ociruntime-engine-calls")
IMAGE = "bb"
SLOW = 300  # seconds: Python is ~20x slower under TCG, and so is everything else

pytestmark = pytest.mark.systemd


def show(unit, *props):
    out = subprocess.run(["systemctl", "show", unit, *(f"--property={p}" for p in props)],
                         capture_output=True, text=True, check=True).stdout
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


def unit_gone(unit):
    return show(unit, "LoadState")["LoadState"] == "not-found"


def sh(*cmd, timeout=SLOW, check=True, **kw):
    proc = subprocess.run(list(cmd), capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL, **kw)
    if check and proc.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


def write(path, text, mode=0o644):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)


def import_image(work):
    """The busybox image "bb" for docker, from a bundle's rootfs; ctr and podman run that rootfs
    directly (--rootfs: importing an image into each costs minutes under TCG). Returns the rootfs."""
    sys.path.insert(0, os.path.join(REPO, "scripts"))
    from make_busybox_bundle import make_bundle
    make_bundle(f"{work}/bundle", ["true"])
    sh("tar", "-C", f"{work}/bundle/rootfs", "-cf", f"{work}/rootfs.tar", ".")
    sh("docker", "import", "-c", 'CMD ["sh"]', "-c", "ENV PATH=/bin", f"{work}/rootfs.tar", IMAGE)
    return f"{work}/bundle/rootfs"


@pytest.fixture(scope="session")
def engines(tmp_path_factory):
    if os.environ.get("VMRUN") != "1" or not os.path.isdir("/run/systemd/system"):
        pytest.skip("only in the VM with systemd as PID 1 (tests/vm/run_systemd.sh): it writes /etc and starts units")
    missing = [b for b in ("dockerd", "containerd", "ctr", "podman", "conmon") if not shutil.which(b)]
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed: run `bash scripts/engines.sh install`")
    runtime = ociruntime_command()
    write(WRAPPER, "#!/bin/sh\nprintf '%s\\n' \"$*\" >>" + CALLS + "\nexec " + " ".join(runtime) + ' "$@"\n', 0o755)
    for d in STORAGE:
        os.makedirs(d, exist_ok=True)
        sh("mount", "-t", "tmpfs", "tmpfs", d)
    write("/etc/docker/daemon.json",
          '{"runtimes": {"ociruntime": {"path": "%s"}}, "default-runtime": "ociruntime"}\n' % WRAPPER)
    write("/etc/containers/containers.conf", '[containers]\nnetns = "none"\n[engine]\nruntime = "ociruntime"\n'
          f'[engine.runtimes]\nociruntime = ["{WRAPPER}"]\n')
    try:
        with mounted_securityfs():
            sh("systemctl", "start", "containerd.service", "docker.service")
            yield import_image(str(tmp_path_factory.mktemp("image")))
    finally:
        subprocess.run("docker ps -aq | xargs -r docker rm -f; podman rm -af -t 0", shell=True, timeout=SLOW,
                       capture_output=True)
        subprocess.run(["systemctl", "stop", "docker.service", "docker.socket", "containerd.service"], timeout=SLOW)
        reap_orphans()
        for d in reversed(STORAGE):
            subprocess.run(["umount", "-R", "-l", d], capture_output=True)
