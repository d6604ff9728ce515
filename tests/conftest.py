"""Fixtures shared by every test: the runtime as users run it (the `ociruntime`
command), busybox bundles, a --root per test, a subreaper that reaps orphaned
container inits (PID 1 here does not), and a check that nothing is left behind."""
import ctypes
import json
import os
import shutil
import subprocess
import sys
import time
import uuid

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# ../shared beside the checkout (CI lays a copy there): the real JSON engines pass
SAMPLES = os.path.join(os.path.dirname(REPO), "shared", "samples", "docker-20.10")
sys.path.insert(0, os.path.join(REPO, "scripts"))
PR_SET_CHILD_SUBREAPER = 36


def ociruntime_command():
    """The installed console command, or the checkout run with the venv's Python."""
    exe = shutil.which("ociruntime")
    return [exe] if exe else [sys.executable, "-m", "ociruntime"]


@pytest.fixture(scope="session", autouse=True)
def _subreaper():
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def wait_for(predicate, timeout=10, what="condition"):
    """Poll until predicate() is truthy; its value, or AssertionError after timeout s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def proc_state(pid):
    """The kernel's state letter of pid; None once it is gone (or reaped)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return None


def cgroup_mountpoints():
    """{hierarchy key as /proc/PID/cgroup names it ("memory", "cpu,cpuacct", "name=systemd",
    "" = cgroup2): mount point}, read from the kernel's mountinfo."""
    points = {}
    with open("/proc/self/mountinfo") as f:
        for line in f:
            left, _, right = line.partition(" - ")
            fstype, _, options = right.split()[:3]
            if fstype == "cgroup2":
                points.setdefault("", left.split()[4])
            elif fstype == "cgroup":
                ctrls = [o for o in options.split(",") if o.startswith("name=") or o not in ("rw", "ro") and "=" not in o]
                points.setdefault(",".join(ctrls), left.split()[4])
    return points


def receive_fd(listener):
    """Accept one --console-socket connection: (the pty master, its name)."""
    import array
    import socket
    conn, _ = listener.accept()
    with conn:
        fds = array.array("i")
        msg, ancdata, _, _ = conn.recvmsg(256, socket.CMSG_SPACE(fds.itemsize))
        for level, kind, data in ancdata:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                fds.frombytes(data[:fds.itemsize])
        assert len(fds) == 1, "no fd received"
        return fds[0], msg.rstrip(b"\0").decode()


def read_pty(fd):
    """Everything a pty master yields until its last slave holder is gone (EIO)."""
    chunks = []
    while True:
        try:
            data = os.read(fd, 4096)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    return b"".join(chunks).decode()


def reap_orphans():
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def own_cgroup_parent():
    """A relative cgroupsPath beneath this test process's own cgroup."""
    return f"oci-test-{uuid.uuid4().hex[:8]}"


class Runtime:
    """Runs `ociruntime --root ROOT ...` and keeps track of what it created."""

    def __init__(self, root, log):
        self.root = root
        self.log = log
        self.cmd = ociruntime_command()

    def __call__(self, *args, check=True, input=None, timeout=60, **kw):
        proc = subprocess.run(self.cmd + ["--root", self.root, "--log", self.log, "--log-format", "json", *args],
                              capture_output=True, text=True, input=input, timeout=timeout, **kw)
        if check and proc.returncode != 0:
            raise AssertionError(f"ociruntime {' '.join(args)} failed ({proc.returncode}): {proc.stderr}")
        return proc

    def state(self, cid):
        return json.loads(self("state", cid).stdout)

    def log_lines(self):
        try:
            with open(self.log) as f:
                return [json.loads(line) for line in f if line.strip()]
        except FileNotFoundError:
            return []


@pytest.fixture
def runtime(tmp_path):
    root = tmp_path / "root"
    rt = Runtime(str(root), str(tmp_path / "log.json"))
    yield rt
    leftover = [n for n in (os.listdir(root) if root.exists() else [])]
    for cid in leftover:
        rt("delete", "--force", cid, check=False)
    reap_orphans()
    assert not leftover, f"containers left behind: {leftover}"


@pytest.fixture
def bundle(tmp_path):
    """A busybox bundle; tests edit bundle.config and call bundle.save()."""
    from make_busybox_bundle import make_bundle
    path = tmp_path / "bundle"
    path.mkdir()
    config = make_bundle(str(path), ["true"])
    config["linux"]["cgroupsPath"] = own_cgroup_parent()
    return Bundle(str(path), config)


class Bundle:
    def __init__(self, path, config):
        self.path = path
        self.config = config
        self.save()

    @property
    def rootfs(self):
        return os.path.join(self.path, "rootfs")

    def save(self):
        with open(os.path.join(self.path, "config.json"), "w") as f:
            json.dump(self.config, f, indent=1)

    def set_args(self, *args):
        self.config["process"]["args"] = list(args)
        self.save()
