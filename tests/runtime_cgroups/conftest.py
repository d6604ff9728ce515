"""Helpers for the runtime's cgroup commands on real containers: start busybox containers through
the CLI, find their cgroup directories from what the kernel says (/proc/PID/cgroup + mountinfo,
not the runtime's state), and check that nothing is left in any hierarchy afterwards.

Tests marked `cgroupv2` also run under pure cgroup v2 in the VM (tests/vm/run_v2.sh)."""
import os
import subprocess
import time
import uuid

import pytest
from support import cgroup_mountpoints, new_id, wait_for  # noqa: F401 (wait_for: for the tests)

BUSY_COUNTER = 'i=0; while :; do i=$((i+1)); echo $i > /tmp/count; done'


V1 = any(cgroup_mountpoints())          # any v1 hierarchy: the runtime uses its v1 driver


def kernel_cgroup_dirs(pid):
    """{hierarchy key: host directory} of pid's cgroups, as the kernel reports them."""
    points = cgroup_mountpoints()
    dirs = {}
    with open(f"/proc/{pid}/cgroup") as f:
        for line in f:
            _, key, path = line.rstrip("\n").split(":", 2)
            if key in points:
                dirs[key] = points[key] + path.rstrip("/")
    return dirs


def cgroup_dir(pid, controller):
    """pid's cgroup directory holding `controller`'s files (v2: the one directory)."""
    for key, path in kernel_cgroup_dirs(pid).items():
        if (controller in key.split(",")) if V1 else key == "":
            return path
    raise AssertionError(f"no {controller} hierarchy for pid {pid}")


def read_cg(pid, controller, name):
    with open(os.path.join(cgroup_dir(pid, controller), name)) as f:
        return f.read().strip()


def keyed(text):
    return {k: int(v) for k, v in (line.split() for line in text.splitlines() if len(line.split()) == 2)}


def cgroup_dirs_for(bundle):
    """Where the bundle's relative cgroupsPath lands in every hierarchy (v2: beside our own cgroup)."""
    points = cgroup_mountpoints()
    rel = bundle.config["linux"]["cgroupsPath"]
    dirs = []
    with open("/proc/self/cgroup") as f:
        for line in f:
            _, key, path = line.rstrip("\n").split(":", 2)
            if key in points:
                base = path if V1 else os.path.dirname(path)
                dirs.append(os.path.join(points[key] + base.rstrip("/"), rel))
    return dirs


class Containers:
    """Starts containers of one bundle through the CLI; their stdout+stderr go to a file per container
    (create's stdio is the container's: a pipe would keep the caller waiting for the container)."""

    def __init__(self, runtime, bundle):
        self.runtime = runtime
        self.bundle = bundle
        self.exec_pids = []

    def output_path(self, cid):
        return os.path.join(os.path.dirname(self.bundle.path), f"{cid}.out")

    def output(self, cid):
        with open(self.output_path(cid)) as f:
            return f.read()

    def create(self, *args, cid=None, start=True):
        """A created (and by default started) container running args: (id, init pid)."""
        cid = cid or new_id()
        self.bundle.set_args(*args)
        pid_file = os.path.join(self.bundle.path, f"{cid}.pid")
        with open(self.output_path(cid), "w") as out:
            proc = subprocess.run(self.runtime.cmd + ["--root", self.runtime.root, "--log", self.runtime.log,
                                                      "--log-format", "json", "create", "--bundle", self.bundle.path,
                                                      "--pid-file", pid_file, cid],
                                  stdin=subprocess.DEVNULL, stdout=out, stderr=out, timeout=60)
        assert proc.returncode == 0, f"create failed: {self.output(cid)}"
        with open(pid_file) as f:
            pid = int(f.read())
        if start:
            self.runtime("start", cid)
        return cid, pid

    def exec_detached(self, cid, *args):
        """`exec --detach` args in the container: the process's host pid."""
        pid_file = os.path.join(self.bundle.path, f"{cid}.exec-{uuid.uuid4().hex[:6]}.pid")
        with open(self.output_path(cid), "a") as out:
            proc = subprocess.run(self.runtime.cmd + ["--root", self.runtime.root, "exec", "--detach",
                                                      "--pid-file", pid_file, cid, *args],
                                  stdin=subprocess.DEVNULL, stdout=out, stderr=out, timeout=60)
        assert proc.returncode == 0, f"exec failed: {self.output(cid)}"
        with open(pid_file) as f:
            pid = int(f.read())
        self.exec_pids.append(pid)
        return pid

    def reap_execs(self):
        """Reap exited exec-ed processes: they are ours (the subreaper's) once exec returned, and a dying
        container init waits for every process of its pid namespace to be reaped (a shim's job)."""
        for pid in list(self.exec_pids):
            try:
                if os.waitpid(pid, os.WNOHANG)[0] == pid:
                    self.exec_pids.remove(pid)
            except ChildProcessError:
                self.exec_pids.remove(pid)

    def delete(self, cid, *flags):
        """`delete` while reaping exec-ed processes."""
        proc = subprocess.Popen(self.runtime.cmd + ["--root", self.runtime.root, "delete", *flags, cid],
                                stderr=subprocess.PIPE, text=True)
        while proc.poll() is None:
            self.reap_execs()
            time.sleep(0.01)
        assert proc.returncode == 0, f"delete failed: {proc.stderr.read()}"

    def counter(self, cid):
        """The value the BUSY_COUNTER loop last wrote (0 before its first write)."""
        try:
            with open(os.path.join(self.bundle.rootfs, "tmp", "count")) as f:
                return int(f.read().strip() or 0)
        except (FileNotFoundError, ValueError):
            return 0


@pytest.fixture
def containers(runtime, bundle):
    bundle.config["root"]["readonly"] = False          # BUSY_COUNTER writes /tmp/count
    return Containers(runtime, bundle)


@pytest.fixture(autouse=True)
def no_cgroup_left(bundle):
    """Set up before (so torn down after) `runtime`, which deletes leftover containers: then no
    cgroup dir of the bundle may remain in any hierarchy."""
    yield
    left = [d for d in cgroup_dirs_for(bundle) if os.path.isdir(d)]
    for d in left:
        for sub, _, _ in sorted(os.walk(d), reverse=True):
            try:
                os.rmdir(sub)
            except OSError:
                pass
    assert not left, f"cgroup dirs left behind: {left}"
