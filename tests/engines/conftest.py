"""Real engines on ociruntime: containerd + Docker Engine 20.10 (runtime "oci" = ociruntime, the
default) and podman, started once per session by scripts/engines.sh with their own state dirs.

pytest is a child subreaper (tests/conftest.py), so the daemons and shims orphaned by
`engines.sh start` are ours to reap. Every container is named `oci-test-...` and removed after
its test; the session ends with `engines.sh stop` and a check that nothing stayed behind."""
import os
import shlex
import shutil
import subprocess
import uuid

import pytest
from support import reap_orphans

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ENGINES_SH = os.path.join(REPO, "scripts", "engines.sh")
RUNTIME = "/usr/local/bin/ociruntime"
STATE_DIRS = ("/var/lib/oci-test-containerd", "/run/oci-test-containerd", "/var/lib/oci-test-docker",
              "/run/oci-test-docker", "/var/lib/oci-test-podman", "/run/oci-test-podman",
              "/var/lib/containers", "/run/containers")
CGROUP_PARENTS = ("oci-test-docker", "oci-test-ctr", "oci-test-podman")
NOISE = "WARNING: IPv4 forwarding is disabled. Networking will not work."


def engines_env():
    """The variables `engines.sh env` prints (DOCKER_HOST, CONTAINERD_ADDRESS, ...)."""
    out = subprocess.run(["bash", ENGINES_SH, "env"], check=True, capture_output=True, text=True).stdout
    env = {}
    for line in out.splitlines():
        key, _, value = line.removeprefix("export ").partition("=")
        env[key] = shlex.split(value)[0] if value else ""
    return env


def leftovers():
    """What the engines could leave on the host: state dirs, mounts, cgroups, bridges, veths."""
    found = [d for d in STATE_DIRS if os.path.exists(d)]
    with open("/proc/self/mountinfo") as f:
        found += [line.split()[4] for line in f if line.split()[4].startswith(STATE_DIRS)]
    with open("/proc/self/cgroup") as f:
        own = {line.rstrip("\n").split(":", 2)[2] for line in f}
    for hierarchy in os.listdir("/sys/fs/cgroup"):
        for parent in {"/"} | own:
            base = f"/sys/fs/cgroup/{hierarchy}{parent}"
            found += [os.path.join(base, d) for d in CGROUP_PARENTS + ("docker", "libpod_parent")
                      if os.path.isdir(os.path.join(base, d))]
    found += [n for n in os.listdir("/sys/class/net") if n.startswith(("br-", "docker", "veth"))]
    return found


@pytest.fixture(scope="session")
def engines():
    missing = [b for b in ("dockerd", "containerd", "ctr", "podman", "conmon") if not shutil.which(b)]
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed: run `bash scripts/engines.sh install`")
    before = set(leftovers())
    env = dict(os.environ, **engines_env(), DOCKER_CLI_HINTS="false")
    try:
        subprocess.run(["bash", ENGINES_SH, "start"], check=True, timeout=120)
        subprocess.run(["bash", ENGINES_SH, "image"], check=True, timeout=120, env=env,
                       stdout=subprocess.DEVNULL)
        yield env
    finally:
        subprocess.run(["bash", ENGINES_SH, "stop"], timeout=180)
        reap_orphans()
    left = set(leftovers()) - before
    assert not left, f"the engines left behind: {sorted(left)}"


class Engine:
    """One engine's command line (`docker`, `ctr`, `podman ...`) with the session's environment;
    names made by `name()` are removed (`rm_cmd`) after the test."""

    def __init__(self, cmd, env, rm_cmd):
        self.cmd = cmd
        self.env = env
        self.rm_cmd = rm_cmd
        self.names = []

    def name(self):
        self.names.append(f"oci-test-{uuid.uuid4().hex[:10]}")
        return self.names[-1]

    def __call__(self, *args, check=True, input=None, timeout=90, stdin=None):
        proc = subprocess.run(self.cmd + list(args), env=self.env, input=input, capture_output=True, text=True,
                              timeout=timeout, stdin=stdin)
        proc.stderr = "\n".join(line for line in proc.stderr.splitlines() if line.strip() != NOISE)
        if check and proc.returncode != 0:
            raise AssertionError(f"{' '.join(self.cmd + list(args))} failed ({proc.returncode}):\n"
                                 f"{proc.stdout}\n{proc.stderr}")
        return proc

    def out(self, *args, **kw):
        return self(*args, **kw).stdout.strip()

    def cleanup(self):
        for name in self.names:
            subprocess.run(self.cmd + self.rm_cmd + [name], env=self.env, capture_output=True, timeout=90)
        reap_orphans()


@pytest.fixture
def docker(engines):
    d = Engine(["docker"], engines, ["rm", "-f"])
    yield d
    d.cleanup()


@pytest.fixture
def podman(engines):
    p = Engine(shlex.split(engines["ENGINES_PODMAN"]), engines, ["rm", "-f", "-t", "0"])
    yield p
    p.cleanup()


@pytest.fixture
def ctr(engines):
    c = Engine(["ctr"], engines, ["container", "rm"])
    yield c
    for name in c.names:
        c("task", "kill", "-s", "SIGKILL", name, check=False)
        c("task", "rm", "-f", name, check=False)
    c.cleanup()


def host_cgroup_file(pid, controller, filename):
    """The host's path of `filename` in the v1 `controller` cgroup of process `pid`."""
    with open(f"/proc/{pid}/cgroup") as f:
        for line in f:
            _, controllers, path = line.rstrip("\n").split(":", 2)
            if controller in controllers.split(","):
                return f"/sys/fs/cgroup/{controller}{path}/{filename}"
    raise AssertionError(f"process {pid} has no {controller} cgroup")


def gone(pid):
    """The process exited (a zombie not reaped yet counts)."""
    try:
        return read(f"/proc/{pid}/stat").rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def read(path):
    with open(path) as f:
        return f.read().strip()
