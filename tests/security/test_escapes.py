"""Container escapes of the runc CVE classes, each attempted from inside a real
container: every attempt must fail and leave the host as it was.

- CVE-2019-5736: overwriting the runtime's binary through /proc/PID/exe of a
  process that is still the runtime (a waiting init, a joining `exec`);
- CVE-2024-21626: an fd or cwd of the runtime's that reaches a host directory;
- CVE-2021-30465: a mount destination that is (or becomes) a symlink to a host path;
- masked and read-only /proc paths."""
import ctypes
import fnmatch
import hashlib
import os
import subprocess
import threading
import uuid

from ociruntime.linux import CAPABILITIES

from support import exec_in, start_container

RUNTIME_BINARY = os.path.realpath("/opt/ociruntime/bin/python")


def _own_bounding_set():
    with open("/proc/self/status") as f:
        mask = int(next(line for line in f if line.startswith("CapBnd:")).split()[1], 16)
    return [name for i, name in enumerate(CAPABILITIES) if mask >> i & 1]


ALL_CAPS = _own_bounding_set()  # every capability the runtime can give


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def with_user_namespace_and_every_capability(bundle):
    """Root in a user namespace with all capabilities there (CAP_SYS_PTRACE too): only
    non-dumpability keeps it from the runtime's processes, whose mm belongs to the host."""
    lin = bundle.config["linux"]
    lin["namespaces"].append({"type": "user"})
    lin["uidMappings"] = [{"containerID": 0, "hostID": 200000, "size": 65536}]
    lin["gidMappings"] = [{"containerID": 0, "hostID": 200000, "size": 65536}]
    bundle.config["process"]["capabilities"] = {k: ALL_CAPS for k in ("bounding", "effective", "permitted")}
    bundle.save()


# what a container's process prints for each /proc/PID/exe it can resolve (and open for
# appending: no byte is written even if that succeeded)
PROBE_EXE = ('for e in /proc/[0-9]*/exe; do t=$(readlink $e 2>/dev/null) || continue; echo "$e $t"; '
             '[ "$t" = /bin/busybox ] || { (: >> $e) 2>/dev/null && echo "OPENED $e"; }; done')


def test_waiting_init_is_the_runtime_binary_and_out_of_reach(runtime, open_bundle):
    """A created container's init is still the runtime's python: an exec'd process
    with every capability in the user namespace can resolve its siblings' exe but not pid 1's."""
    with_user_namespace_and_every_capability(open_bundle)
    before = sha256(RUNTIME_BINARY)
    c = start_container(runtime, open_bundle, "sleep", "1000", create_only=True)
    try:
        with open(f"/proc/{c.pid}/cmdline", "rb") as f:
            assert b"python" in f.read().split(b"\0")[0]  # still the runtime: the attack's target
        proc = exec_in(runtime, c.id, "sh", "-c", f"sleep 100 & {PROBE_EXE}; kill $!; "
                       "ls /proc/1/fd /proc/1/cwd/ 2>&1 >/dev/null | wc -l")
        assert proc.returncode == 0, proc.stderr
        *lines, denied = proc.stdout.splitlines()
        resolved = dict(line.split() for line in lines if not line.startswith("OPENED"))
        assert "/proc/1/exe" not in resolved and not any(line.startswith("OPENED") for line in lines)
        assert set(resolved.values()) == {"/bin/busybox"} and len(resolved) >= 2  # sh, sleep (and readlink)
        assert int(denied) == 2  # both listings refused
    finally:
        runtime("delete", "--force", c.id)
    assert sha256(RUNTIME_BINARY) == before


def test_joining_exec_is_never_reachable_while_it_is_the_runtime(runtime, open_bundle):
    """The race of CVE-2019-5736: the container scans /proc/*/exe while `exec`s join it."""
    with_user_namespace_and_every_capability(open_bundle)
    open_bundle.config["mounts"].append({"destination": "/tmp", "type": "tmpfs", "source": "tmpfs"})
    before = sha256(RUNTIME_BINARY)
    c = start_container(runtime, open_bundle, "sh", "-c",
                        f"while :; do ({PROBE_EXE}) | grep -v ' /bin/busybox$' >> /tmp/found; done")
    try:
        for _ in range(25):
            assert exec_in(runtime, c.id, "true").returncode == 0
        found = exec_in(runtime, c.id, "cat", "/tmp/found")
        assert found.returncode == 0, found.stderr
        # between the runtime's exec and the program's, a joining process is the sealed
        # stub (csrc/stub): it may be seen, but it is no file of the host's and not writable
        seen = [line for line in found.stdout.splitlines()
                if not line.endswith(" /memfd:ociruntime-exec (deleted)")]
        assert seen == [], found.stdout
    finally:
        runtime("delete", "--force", c.id)
    assert sha256(RUNTIME_BINARY) == before


def _fd_report(pid_dir):
    return (f'for f in {pid_dir}/fd/*; do echo "$f $(readlink $f)"; [ -d $f ] && echo "DIR $f"; done; '
            f'echo "cwd $(readlink {pid_dir}/cwd) $(readlink {pid_dir}/root)"')


def _check_fd_report(text, where):
    lines = text.splitlines()
    assert not [line for line in lines if line.startswith("DIR")], text
    assert "cwd / /" in lines, text
    fds = [line.split(" ", 1) for line in lines if fnmatch.fnmatch(line, f"{where}/fd/*")]
    assert fds, text
    for path, target in fds:
        if int(path.rsplit("/", 1)[1]) > 2:  # past stdio: only the runtime's sockets and pipes,
            # and the sealed exec stub (csrc/stub), which is no file of the host's
            assert target.split(":")[0] in ("socket", "pipe", "anon_inode", "/memfd"), (path, target)
            if target.startswith("/memfd"):
                assert target.startswith("/memfd:ociruntime-exec"), (path, target)


def _self_exe_script(bundle):
    """A program whose interpreter is "/proc/self/exe" (the CVE-2019-5736 exploit's
    first step): at the runtime's final execve that names whatever image execs it."""
    path = os.path.join(bundle.rootfs, "self-exe")
    with open(path, "w") as f:
        f.write("#!/proc/self/exe -V\n")
    os.chmod(path, 0o755)
    return "/self-exe"


def test_a_self_exe_program_never_runs_the_runtime_interpreter(runtime, bundle):
    """Had the container's program been exec'd from the runtime's image, `-V` would
    make the host's python print its version inside the container (and the container
    could then reopen that binary through /proc/<pid>/exe). It is exec'd from a sealed
    stub instead, which refuses the interpreter's arguments."""
    bundle.set_args(_self_exe_script(bundle))
    proc = runtime("run", "exe-" + uuid.uuid4().hex[:6], check=False, cwd=bundle.path)
    assert "Python" not in proc.stdout + proc.stderr
    assert proc.returncode == 127, (proc.returncode, proc.stdout, proc.stderr)


def test_an_exec_of_a_self_exe_program_never_runs_the_runtime_interpreter(runtime, bundle, container):
    proc = exec_in(runtime, container.id, _self_exe_script(bundle))
    assert "Python" not in proc.stdout + proc.stderr
    assert proc.returncode == 127, (proc.returncode, proc.stdout, proc.stderr)


def test_no_runtime_fd_or_cwd_reaches_the_host(runtime, bundle):
    """CVE-2024-21626: the waiting init's fds and cwd (seen with CAP_SYS_PTRACE) and an
    exec'd process's own hold nothing of the host's but the stdio they were given."""
    c = start_container(runtime, bundle, "sleep", "1000", create_only=True)
    try:
        proc = exec_in(runtime, "--cap", "CAP_SYS_PTRACE", c.id, "sh", "-c", _fd_report("/proc/1"))
        assert proc.returncode == 0, proc.stderr
        _check_fd_report(proc.stdout, "/proc/1")
        proc = exec_in(runtime, c.id, "sh", "-c", _fd_report("/proc/$$"))
        assert proc.returncode == 0, proc.stderr
        _check_fd_report(proc.stdout, "/proc/[0-9]*")
    finally:
        runtime("delete", "--force", c.id)


def test_cwd_through_an_fd_never_leaves_the_container(runtime, bundle, container, tmp_path):
    """A cwd like /proc/self/fd/N/..: without a leaked directory fd it fails to resolve;
    with a host directory handed in (--preserve-fds), the process is refused, never run."""
    for fd in range(3, 10):
        for cwd in (f"/proc/self/fd/{fd}", f"/proc/self/fd/{fd}/.."):
            proc = exec_in(runtime, "--cwd", cwd, container.id, "sh", "-c", "echo RAN; pwd")
            assert proc.returncode != 0 and "RAN" not in proc.stdout, (cwd, proc.stdout)
            assert len(proc.stderr.strip().splitlines()) == 1
    host_dir = tmp_path / "hostdir"
    host_dir.mkdir()
    cmd = runtime.cmd + ["--root", runtime.root, "exec", "--preserve-fds", "1", "--cwd", "/proc/self/fd/3/..",
                         container.id, "sh", "-c", "echo RAN; pwd"]
    proc = subprocess.run(["sh", "-c", f'exec 3<{host_dir}; exec "$@"', "sh", *cmd], capture_output=True,
                          text=True, stdin=subprocess.DEVNULL, timeout=60)
    assert proc.returncode != 0 and "RAN" not in proc.stdout
    assert proc.stderr.strip().splitlines() == [
        "ociruntime: cwd (\"/proc/self/fd/3/..\") is outside the container's root: possible container breakout"]


def test_create_with_a_cwd_through_a_preserved_host_fd_fails(runtime, bundle, tmp_path):
    host_dir = tmp_path / "hostdir"
    host_dir.mkdir()
    bundle.config["process"]["cwd"] = "/proc/self/fd/3"
    bundle.set_args("sh", "-c", "echo RAN > /dev/shm/ran")
    cmd = runtime.cmd + ["--root", runtime.root, "create", "--preserve-fds", "1", "--bundle", bundle.path,
                         "c-" + uuid.uuid4().hex[:8]]
    proc = subprocess.run(["sh", "-c", f'exec 3<{host_dir}; exec "$@"', "sh", *cmd], capture_output=True,
                          text=True, stdin=subprocess.DEVNULL, timeout=60)
    assert proc.returncode != 0
    assert "outside the container's root" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert not os.listdir(runtime.root)


def _host_dir():
    """A host directory the attack aims at, outside the bundle."""
    path = f"/tmp/oci-test-host-{uuid.uuid4().hex[:8]}"
    os.mkdir(path)
    return path


def test_mount_destination_through_a_symlink_stays_in_the_rootfs(runtime, bundle, tmp_path):
    """CVE-2021-30465: rootfs/mnt -> a host dir (absolute and ../ forms): the mount
    lands at that path inside the rootfs, the host dir is untouched."""
    host_abs, host_rel = _host_dir(), _host_dir()
    try:
        os.symlink(host_abs, os.path.join(bundle.rootfs, "mnt"))
        os.makedirs(os.path.join(bundle.rootfs, host_abs.lstrip("/")))  # where it points in the rootfs
        os.makedirs(os.path.join(bundle.rootfs, host_rel.lstrip("/")))
        os.symlink("../../../../../../.." + host_rel, os.path.join(bundle.rootfs, "mnt2"))
        volume = tmp_path / "volume"
        volume.mkdir()
        (volume / "marker").write_text("from the volume\n")
        bundle.config["mounts"] += [
            {"destination": "/mnt/data", "type": "bind", "source": str(volume), "options": ["rbind", "ro"]},
            {"destination": "/mnt2", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m"]},
        ]
        bundle.set_args("sh", "-c", f"cat {host_abs}/data/marker; stat -f -c %T {host_rel}")
        proc = runtime("run", "--bundle", bundle.path, "c-" + uuid.uuid4().hex[:8], stdin=subprocess.DEVNULL)
        assert proc.stdout.splitlines() == ["from the volume", "tmpfs"]
        assert os.listdir(host_abs) == [] and os.listdir(host_rel) == []
        assert os.path.isdir(os.path.join(bundle.rootfs, host_abs.lstrip("/"), "data"))
        with open("/proc/self/mountinfo") as f:
            assert host_abs not in f.read()
    finally:
        os.rmdir(host_abs)
        os.rmdir(host_rel)


RENAME_EXCHANGE = 2
_libc = ctypes.CDLL(None, use_errno=True)


def _exchange(a, b):
    if _libc.renameat2(-100, a.encode(), -100, b.encode(), RENAME_EXCHANGE) != 0:
        raise OSError(ctypes.get_errno(), "renameat2")


def test_mount_destination_swapped_for_a_symlink_during_create(runtime, bundle, tmp_path):
    """The race of CVE-2021-30465: rootfs/mnt flips between a directory and a symlink
    to a host dir while containers mount onto /mnt/data."""
    host = _host_dir()
    mnt, alt = os.path.join(bundle.rootfs, "mnt"), os.path.join(bundle.rootfs, "mnt.alt")
    os.mkdir(mnt)
    os.symlink(host, alt)
    bundle.config["mounts"].append({"destination": "/mnt/data", "type": "tmpfs", "source": "tmpfs"})
    bundle.set_args("true")
    stop = threading.Event()

    def flip():
        while not stop.is_set():
            _exchange(mnt, alt)

    flipper = threading.Thread(target=flip)
    flipper.start()
    try:
        for _ in range(15):
            runtime("run", "--bundle", bundle.path, "c-" + uuid.uuid4().hex[:8], check=False,
                    stdin=subprocess.DEVNULL)
            assert os.listdir(host) == []
    finally:
        stop.set()
        flipper.join()
        with open("/proc/self/mountinfo") as f:
            assert host not in f.read()
        os.rmdir(host)


def _on_this_host(paths):
    """The paths this kernel has (some lack /proc/kcore or /proc/sysrq-trigger)."""
    found = [p for p in paths if os.path.exists(p)]
    assert found, paths
    return found


def test_masked_paths_show_nothing(runtime, bundle, container):
    masked = _on_this_host(p for p in bundle.config["linux"]["maskedPaths"] if p.startswith("/proc/"))
    for path in masked:
        if os.path.isdir(path):
            proc = exec_in(runtime, container.id, "sh", "-c", f"ls -A {path} | wc -l; touch {path}/x")
            assert proc.stdout.split() == ["0"] and "Read-only file system" in proc.stderr, path
        else:
            proc = exec_in(runtime, container.id, "sh", "-c", f"stat -c '%t,%T' {path}; wc -c < {path}")
            assert proc.returncode == 0, proc.stderr
            assert proc.stdout.split() == ["1,3", "0"], path  # /dev/null bound over it


def test_read_only_paths_refuse_writes(runtime, container):
    hostname = exec_in(runtime, container.id, "hostname").stdout
    paths = _on_this_host(["/proc/sysrq-trigger", "/proc/sys/kernel/hostname", "/proc/sys/kernel/domainname",
                           "/proc/sys/vm/overcommit_ratio"])
    for path in paths:
        data = "h" if path.endswith("sysrq-trigger") else "51" if path.endswith("ratio") else "escaped"
        proc = exec_in(runtime, "--cap", "CAP_SYS_ADMIN", container.id, "sh", "-c", f"echo {data} > {path}")
        assert proc.returncode != 0 and "Read-only file system" in proc.stderr, (path, proc.stderr)
    assert exec_in(runtime, container.id, "hostname").stdout == hostname
