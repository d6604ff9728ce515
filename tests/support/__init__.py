"""The one test-support library: helpers every test package imports (`from support
import ...`); the fixtures live in support/plugin.py (loaded by tests/conftest.py).

The runtime as users run it (the `ociruntime` command), busybox bundles, ids, waiting
and reaping, what a failed command may leave behind, cgroup paths from the kernel."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# ../shared beside the checkout (CI lays a copy there): the real JSON engines pass
SAMPLES = os.path.join(os.path.dirname(REPO), "shared", "samples", "docker-20.10")
sys.path.insert(0, os.path.join(REPO, "scripts"))
PR_SET_CHILD_SUBREAPER = 36


def ociruntime_command():
    """The installed console command, or the checkout run with the venv's Python."""
    exe = shutil.which("ociruntime")
    return [exe] if exe else [sys.executable, "-m", "ociruntime"]


def new_id(prefix="c"):
    """A fresh container id."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


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


def detached(runtime, *args):
    """`ociruntime ARGS` whose containers may outlive it: stdio are files, not pipes the
    test would wait on (a pipe held by a container blocks whoever reads it).
    Returns (returncode, stdout, stderr)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        rc = subprocess.run(runtime.cmd + ["--root", runtime.root, "--log", runtime.log, "--log-format", "json",
                                           *args], stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                            timeout=60).returncode
        out.seek(0)
        err.seek(0)
        return rc, out.read(), err.read()


def created(runtime, bundle, *args, cid=None):
    """A created container running args; its id and init pid (from --pid-file)."""
    cid = cid or new_id()
    bundle.set_args(*args)
    pid_file = os.path.join(bundle.path, "pid")
    rc, _, err = detached(runtime, "create", "--bundle", bundle.path, "--pid-file", pid_file, cid)
    assert rc == 0, err
    with open(pid_file) as f:
        return cid, int(f.read())


def status_fields(text):
    """/proc/PID/status text -> {field: value}."""
    return {k: v.strip() for k, _, v in (line.partition(":") for line in text.splitlines())}


def own_cgroup_dirs(relative):
    """`relative` beneath this process's own cgroup, in every hierarchy it belongs to."""
    points = cgroup_mountpoints()
    dirs = []
    with open("/proc/self/cgroup") as f:
        for line in f:
            _, ctrls, path = line.rstrip("\n").split(":", 2)
            if ctrls in points:
                dirs.append(os.path.join(points[ctrls] + path, relative))
    return dirs


def cgroup_path(bundle):
    return bundle.config["linux"]["cgroupsPath"]


def mounts_mentioning(text):
    with open("/proc/self/mountinfo") as f:
        return [line for line in f if text in line]


def processes_in(path):
    """Pids whose cwd or root is at or below path."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        for link in ("cwd", "root"):
            try:
                target = os.readlink(f"/proc/{pid}/{link}")
            except OSError:
                continue
            if target == path or target.startswith(path + "/"):
                found.append(int(pid))
                break
    return found


def leftovers(runtime, bundle):
    """Everything a failed command must not leave behind, by kind (empty: clean)."""
    found = {}
    if os.path.isdir(runtime.root) and os.listdir(runtime.root):
        found["state dirs"] = os.listdir(runtime.root)
    if mounts_mentioning(bundle.path):
        found["mounts"] = mounts_mentioning(bundle.path)
    cgroups = [d for d in own_cgroup_dirs(cgroup_path(bundle)) if os.path.exists(d)]
    if cgroups:
        found["cgroups"] = cgroups
    procs = processes_in(bundle.path)
    if procs:
        found["processes"] = procs
    return found


def exec_in(runtime, *args):
    """`exec ARGS` in the foreground with stdin /dev/null; the finished command."""
    return runtime("exec", *args, check=False, stdin=subprocess.DEVNULL)


def pids_sharing_pid_ns(pid):
    """Host pids of every process in pid's pid namespace (pid included)."""
    ns = os.stat(f"/proc/{pid}/ns/pid").st_ino
    found = set()
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            if os.stat(f"/proc/{entry}/ns/pid").st_ino == ns:
                found.add(int(entry))
        except OSError:
            continue
    return found


class StartedContainer:
    def __init__(self, cid, pid):
        self.id = cid
        self.pid = pid


def start_container(runtime, bundle, *args, create_only=False):
    """A container running ARGS (`run -d`), or only created; its id and init pid."""
    bundle.set_args(*args)
    cid = new_id("x")
    pid_file = os.path.join(bundle.path, "init.pid")
    rc, _, err = detached(runtime, "create" if create_only else "run", *([] if create_only else ["--detach"]),
                          "--bundle", bundle.path, "--pid-file", pid_file, cid)
    assert rc == 0, err
    with open(pid_file) as f:
        return StartedContainer(cid, int(f.read()))
