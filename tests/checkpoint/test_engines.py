"""podman 4.3 (through conmon), and containerd 1.6's runc shim driven by ctr and by Docker's
dockerd, checkpoint and restore containers with ociruntime as their runtime (marker `criu`;
only in the VM of tests/vm/run_criu.sh: storage goes on tmpfs mounts over the engines'
/var/lib and /run directories, which this writes). One test per engine: each engine call
costs seconds under TCG.

The container's counter keeps a mark in its shell's memory only (set by a signal before
the checkpoint): a restored process shows it, a restarted one cannot. The runtime the
engines call is a wrapper noting each call's arguments, so the test also sees that the
checkpoint and the restore went through ociruntime."""
import os
import shutil
import subprocess
import sys

import pytest

from support import ociruntime_command, reap_orphans, wait_for

pytestmark = [pytest.mark.criu, pytest.mark.usefixtures("working_criu")]
SLOW = 300  # seconds: everything is ~20x slower under TCG
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# the shell's own memory: `mark` is set by USR1; the file and stdout show both
COUNTER = ('trap "mark=kept" USR1; i=0; while true; do echo "$i $mark" > /tmp/count; {echo}'
           'i=$((i+1)); sleep 0.2; done')


def sh(*cmd, check=True, **kw):
    proc = subprocess.run(list(cmd), capture_output=True, text=True, timeout=SLOW, stdin=subprocess.DEVNULL, **kw)
    if check and proc.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


def cgroup_of(pid):
    with open(f"/proc/{pid}/cgroup") as f:
        return f.read().strip().split("::", 1)[1]


def counted(text):
    """(count, marked) from the counter's "N [kept]" line; (-1, False) before the first."""
    fields = text.split()
    return (int(fields[0]), fields[1:] == ["kept"]) if fields else (-1, False)


@pytest.fixture(scope="module")
def engine_env(tmp_path_factory):
    """tmpfs storage for both engines, the busybox rootfs as a tarball, and the tracing
    runtime wrapper: (work dir, wrapper, calls file)."""
    if os.environ.get("VMRUN") != "1":
        pytest.skip("only in the VM (tests/vm/run_criu.sh): mounts tmpfs over the engines' storage")
    work = str(tmp_path_factory.mktemp("engines"))
    calls = os.path.join(work, "calls")
    wrapper = os.path.join(work, "ociruntime")
    with open(wrapper, "w") as f:
        f.write(f"#!/bin/sh\nprintf '%s\\n' \"$*\" >>{calls}\nexec {' '.join(ociruntime_command())} \"$@\"\n")
    os.chmod(wrapper, 0o755)
    sys.path.insert(0, os.path.join(REPO, "scripts"))
    from make_busybox_bundle import make_bundle
    make_bundle(f"{work}/bundle", ["true"])
    sh("tar", "-C", f"{work}/bundle/rootfs", "-cf", f"{work}/rootfs.tar", ".")
    mounted = []
    try:
        for d in ("/var/lib/containers", "/run/containers", "/var/lib/containerd", "/run/containerd",
                  "/var/lib/docker", "/run/docker"):
            os.makedirs(d, exist_ok=True)
            sh("mount", "-t", "tmpfs", "tmpfs", d)
            mounted.append(d)
        yield work, wrapper, calls
    finally:
        reap_orphans()
        for d in reversed(mounted):
            subprocess.run(["umount", "-R", "-l", d], capture_output=True)


def runtime_calls(calls, verb):
    with open(calls) as f:
        return [line.strip() for line in f if verb in line.split()]


def remove_cgroup_tree(path):
    for parent, dirs, _files in os.walk(path, topdown=False):
        for d in dirs:
            os.rmdir(os.path.join(parent, d))
    if os.path.isdir(path):
        os.rmdir(path)


PODMAN_OPTS = ["--cgroup-manager", "cgroupfs", "--events-backend", "file"]
PODMAN_CGROUP_PARENT = "/oci-test-podman-criu"


@pytest.mark.skipif(not (shutil.which("podman") and shutil.which("conmon")), reason="podman or conmon not installed")
def test_podman_checkpoint_restore_export_import(engine_env):
    work, wrapper, calls = engine_env
    podman = ["podman", "--runtime", wrapper, *PODMAN_OPTS]
    sh(*podman, "import", "-c", 'CMD ["sh"]', "-c", "ENV PATH=/bin", f"{work}/rootfs.tar", "localhost/bb")
    cid = sh(*podman, "run", "-d", "--name", "counter", "--network", "none", "--cgroups", "no-conmon",
             "--cgroup-parent", PODMAN_CGROUP_PARENT, "localhost/bb", "sh", "-c",
             COUNTER.format(echo='echo $i; ')).stdout.strip()

    def inside():
        return counted(sh(*podman, "exec", "counter", "cat", "/tmp/count").stdout)
    try:
        wait_for(lambda: inside()[0] >= 2, timeout=SLOW, what="the counter")
        sh(*podman, "kill", "-s", "USR1", "counter")
        wait_for(lambda: inside()[1], timeout=SLOW, what="the mark")
        sh(*podman, "container", "checkpoint", "counter")
        assert sh(*podman, "inspect", "-f", "{{.State.Status}}", "counter").stdout.strip() == "exited"
        logged = [int(n) for n in sh(*podman, "logs", "counter").stdout.split()]
        assert cid not in sh(*ociruntime_command(), "list", "-q").stdout  # gone from the runtime too

        sh(*podman, "container", "restore", "counter")
        pid = int(sh(*podman, "inspect", "-f", "{{.State.Pid}}", "counter").stdout)
        assert cgroup_of(pid) == f"{PODMAN_CGROUP_PARENT}/libpod-{cid}"
        wait_for(lambda: inside()[0] > logged[-1], timeout=SLOW, what="the restored counter")
        assert inside()[1]  # the shell's memory came back: not a new start
        logged = [int(n) for n in sh(*podman, "logs", "counter").stdout.split()]
        assert logged == list(range(len(logged)))  # one sequence through conmon's new pipe: 0 never again

        # migration: the checkpoint as a tarball, restored as a new container
        sh(*podman, "container", "checkpoint", "--export", f"{work}/counter.tar.gz", "counter")
        at_export = int(sh(*podman, "logs", "counter").stdout.split()[-1])
        sh(*podman, "rm", "counter")
        sh(*podman, "container", "restore", "--import", f"{work}/counter.tar.gz", "--name", "copy")
        wait_for(lambda: counted(sh(*podman, "exec", "copy", "cat", "/tmp/count").stdout)[0] > at_export,
                 timeout=SLOW, what="the imported counter")
        assert counted(sh(*podman, "exec", "copy", "cat", "/tmp/count").stdout)[1]
    finally:
        sh(*podman, "rm", "-af", "-t", "0", check=False)
        sh(*podman, "rmi", "-a", "-f", check=False)
        remove_cgroup_tree(f"/sys/fs/cgroup{PODMAN_CGROUP_PARENT}")
    # conmon's calls: `checkpoint --image-path ... --work-path ...`, `restore --bundle ... --detach ...`
    assert len(runtime_calls(calls, "checkpoint")) >= 2 and len(runtime_calls(calls, "restore")) == 2
    assert sh(*ociruntime_command(), "list", "-q").stdout.strip() == ""


CTR = ["ctr", "-n", "oci-test"]
CTR_CGROUP = "/oci-test-ctr-criu/counter"


def ctr_pid(name):
    rows = [line.split() for line in sh(*CTR, "task", "ls").stdout.splitlines()[1:]]
    return next((int(r[1]), r[2]) for r in rows if r[0] == name)


def stop_daemon(daemon):
    daemon.terminate()
    daemon.wait(timeout=SLOW)


@pytest.fixture(scope="module")
def containerd(engine_env):
    """containerd on its tmpfs storage, as the distribution's containerd.service runs it (no CRI
    plugin), for ctr and for dockerd, which uses it as Debian's docker.service does."""
    if not (shutil.which("containerd") and shutil.which("ctr")):
        pytest.skip("containerd or ctr not installed")
    work = engine_env[0]
    with open(f"{work}/containerd.toml", "w") as f:
        f.write('version = 2\nroot = "/var/lib/containerd"\nstate = "/run/containerd"\n'
                'disabled_plugins = ["io.containerd.grpc.v1.cri"]\n')
    with open(f"{work}/containerd.log", "w") as log:
        daemon = subprocess.Popen(["containerd", "--config", f"{work}/containerd.toml"], stdout=log, stderr=log,
                                  stdin=subprocess.DEVNULL)
    try:
        wait_for(lambda: os.path.exists("/run/containerd/containerd.sock"), timeout=SLOW, what="containerd")
        yield "/run/containerd/containerd.sock"
    finally:
        stop_daemon(daemon)
        reap_orphans()


@pytest.mark.skipif(not shutil.which("podman"), reason="podman (makes the image) not installed")
def test_ctr_task_and_container_checkpoint_then_restore(engine_env, containerd):
    work, wrapper, calls = engine_env
    exec_ids = iter(range(1000))

    def inside():
        return counted(sh(*CTR, "task", "exec", "--exec-id", f"e{next(exec_ids)}", "counter",
                          "cat", "/tmp/count").stdout)
    try:
        # the image: podman's import of the rootfs, saved as a docker archive
        sh("podman", *PODMAN_OPTS, "import", "-c", "ENV PATH=/bin", f"{work}/rootfs.tar", "localhost/bb")
        sh("podman", *PODMAN_OPTS, "save", "-o", f"{work}/bb.tar", "localhost/bb")
        sh("podman", *PODMAN_OPTS, "rmi", "-f", "localhost/bb")
        sh(*CTR, "images", "import", f"{work}/bb.tar")
        sh(*CTR, "run", "-d", "--runtime", "io.containerd.runc.v2", "--runc-binary", wrapper, "--cgroup", CTR_CGROUP,
           "localhost/bb:latest", "counter", "sh", "-c", COUNTER.format(echo=""))
        wait_for(lambda: inside()[0] >= 2, timeout=SLOW, what="the counter")
        sh(*CTR, "task", "kill", "-s", "SIGUSR1", "counter")
        wait_for(lambda: inside()[1], timeout=SLOW, what="the mark")

        # the task's images into a directory of ours; the task runs on (the shim: --leave-running)
        sh(*CTR, "task", "checkpoint", "--image-path", f"{work}/images", "counter")
        assert os.path.exists(f"{work}/images/inventory.img") and os.path.exists(f"{work}/images/descriptors.json")
        assert ctr_pid("counter")[1] == "RUNNING"

        # the container and its task as a checkpoint image in containerd's store, then a new one from it
        sh(*CTR, "container", "checkpoint", "--task", "counter", "localhost/counter-checkpoint:1")
        before = inside()[0]
        sh(*CTR, "task", "kill", "-s", "SIGKILL", "counter")
        wait_for(lambda: ctr_pid("counter")[1] == "STOPPED", timeout=SLOW, what="the task to stop")
        sh(*CTR, "task", "rm", "counter")
        sh(*CTR, "container", "rm", "counter")
        sh(*CTR, "container", "restore", "--live", "counter", "localhost/counter-checkpoint:1")
        pid, status = ctr_pid("counter")
        assert status == "RUNNING" and cgroup_of(pid) == CTR_CGROUP
        wait_for(lambda: inside()[0] > before, timeout=SLOW, what="the restored counter")
        assert inside()[1]  # restored, not restarted
    finally:
        sh(*CTR, "task", "kill", "-s", "SIGKILL", "counter", check=False)
        sh(*CTR, "task", "rm", "-f", "counter", check=False)
        sh(*CTR, "container", "rm", "counter", check=False)
        remove_cgroup_tree("/sys/fs/cgroup" + os.path.dirname(CTR_CGROUP))
    # the shim's calls: `checkpoint --image-path DIR --work-path W --leave-running`, `restore ... -no-subreaper`
    assert len(runtime_calls(calls, "checkpoint")) >= 2 and runtime_calls(calls, "restore")


DOCKER_CGROUP_PARENT = "/oci-test-docker-criu"


@pytest.mark.skipif(not (shutil.which("dockerd") and shutil.which("docker")), reason="Docker not installed")
def test_docker_checkpoint_then_start_from_it(engine_env, containerd):
    """Docker's (experimental) `docker checkpoint create` and `docker start --checkpoint`, through
    containerd's runc shim: `checkpoint [--leave-running]`, then `restore --detach` from the
    images Docker kept under the container."""
    work, wrapper, calls = engine_env
    with open(f"{work}/dockerd.log", "w") as log:
        daemon = subprocess.Popen(
            ["dockerd", "--experimental", "--containerd", containerd, "--data-root", "/var/lib/docker",
             "--exec-root", "/run/docker", "--pidfile", "/run/docker/dockerd.pid",
             "--bridge", "none", "--iptables=false", "--ip-forward=false", "--ip-masq=false",
             "--exec-opt", "native.cgroupdriver=cgroupfs", "--add-runtime", f"oci={wrapper}",
             "--default-runtime", "oci"], stdout=log, stderr=log, stdin=subprocess.DEVNULL)

    def inside():
        return counted(sh("docker", "exec", "counter", "cat", "/tmp/count").stdout)

    def status():
        return sh("docker", "inspect", "-f", "{{.State.Status}} {{.State.Pid}}", "counter").stdout.split()
    try:
        wait_for(lambda: sh("docker", "info", check=False).returncode == 0, timeout=SLOW, what="dockerd")
        sh("docker", "import", "-c", 'CMD ["sh"]', "-c", "ENV PATH=/bin", f"{work}/rootfs.tar", "bb")
        cid = sh("docker", "run", "-d", "--name", "counter", "--network", "none", "--cgroup-parent",
                 DOCKER_CGROUP_PARENT, "bb", "sh", "-c", COUNTER.format(echo="echo $i; ")).stdout.strip()
        wait_for(lambda: inside()[0] >= 2, timeout=SLOW, what="the counter")
        sh("docker", "kill", "-s", "USR1", "counter")
        wait_for(lambda: inside()[1], timeout=SLOW, what="the mark")

        sh("docker", "checkpoint", "create", "--leave-running", "counter", "running")
        assert status()[0] == "running"
        sh("docker", "checkpoint", "create", "counter", "stopped")
        assert status()[0] == "exited"
        assert cid not in sh(*ociruntime_command(), "--root", "/run/docker/runtime-runc/moby", "list", "-q").stdout
        assert set(sh("docker", "checkpoint", "ls", "counter").stdout.split()[2:]) == {"running", "stopped"}
        logged = [int(n) for n in sh("docker", "logs", "counter").stdout.split()]

        sh("docker", "start", "--checkpoint", "stopped", "counter")
        state, pid = status()
        assert state == "running" and cgroup_of(int(pid)) == f"{DOCKER_CGROUP_PARENT}/{cid}"
        wait_for(lambda: inside()[0] > logged[-1], timeout=SLOW, what="the restored counter")
        assert inside()[1]  # the shell's memory came back: not a new start
        logged = [int(n) for n in sh("docker", "logs", "counter").stdout.split()]
        assert logged == list(range(len(logged)))  # one sequence across the restore
    finally:
        sh("docker", "rm", "-f", "counter", check=False)
        stop_daemon(daemon)
        reap_orphans()
        remove_cgroup_tree(f"/sys/fs/cgroup{DOCKER_CGROUP_PARENT}")
    # the shim's calls: `checkpoint ... --leave-running`, `checkpoint ...`, `restore --detach ... -no-subreaper`
    checkpoints = runtime_calls(calls, "checkpoint")
    assert len(checkpoints) >= 2 and "--leave-running" in checkpoints[-2] and "--leave-running" not in checkpoints[-1]
    assert "--detach" in runtime_calls(calls, "restore")[-1]
