"""checkpoint and restore with a working CRIU (marker `criu`; run in the pure cgroup v2
VM by tests/vm/run_criu.sh: this host's kernel fails CRIU's vDSO check). Everything is
observed from inside the container or from the kernel: the counter's file, /proc, the
cgroup files. Under TCG a checkpoint takes ~15 s: generous timeouts, few steps."""
import os
import re
import shutil
import socket
import subprocess
import threading
from pathlib import Path

import pytest

from support.apparmor import loaded_profiles
from support import (cgroup_path, proc_state, exec_in, leftovers, new_id, own_cgroup_dirs, own_cgroup_parent,
                     receive_fd, status_fields, wait_for)

pytestmark = [pytest.mark.criu, pytest.mark.usefixtures("working_criu")]
CRIU_TIMEOUT = 240
COUNTER = "i=0; while true; do echo $i > /tmp/count; i=$((i+1)); sleep 0.2; done"


@pytest.fixture
def writable(bundle):
    """The busybox bundle with a writable rootfs (the counter writes /tmp/count)."""
    bundle.config["root"]["readonly"] = False
    bundle.save()
    return bundle


def quiet(runtime, tmp_path, *args):
    """`ociruntime ARGS` whose containers outlive it (run -d, restore -d) with stdin and
    stdout /dev/null and stderr a plain file: what the container inherits, CRIU can
    dump and restore (the test's own pipes would be held open; Python's temporary
    files are opened O_NOFOLLOW, which CRIU cannot reopen through /proc/PID/fd)."""
    err_path = tmp_path / f"stderr-{new_id('e')}"
    with open(err_path, "w") as err:
        rc = subprocess.run(runtime.cmd + ["--root", runtime.root, "--log", runtime.log, "--log-format", "json",
                                           *args], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err,
                            timeout=CRIU_TIMEOUT).returncode
    return rc, err_path.read_text()


def run_detached(runtime, bundle, *args, cid=None):
    bundle.set_args(*args)
    cid = cid or new_id("cr")
    rc, err = quiet(runtime, Path(bundle.path).parent, "run", "-d", "--bundle", bundle.path, cid)
    assert rc == 0, err
    return cid


def count(bundle):
    try:
        with open(os.path.join(bundle.rootfs, "tmp", "count")) as f:
            return int(f.read() or -1)
    except (FileNotFoundError, ValueError):
        return -1


def ckpt(runtime, cid, *args):
    proc = runtime("checkpoint", *args, cid, check=False, timeout=CRIU_TIMEOUT)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr  # nothing on stderr: CRIU's output in its log
    return proc


def restore(runtime, bundle, cid, image, *args):
    rc, err = quiet(runtime, Path(bundle.path).parent, "restore", "-d", "--image-path", str(image),
                    "--bundle", bundle.path, *args, cid)
    assert rc == 0, err
    return runtime.state(cid)


def cgroup_of(pid):
    with open(f"/proc/{pid}/cgroup") as f:
        return f.read().strip().split("::", 1)[1]


def test_a_counter_keeps_counting_after_restore(runtime, writable, tmp_path, remove_test_cgroup_parents):
    cid = run_detached(runtime, writable, "sh", "-c", COUNTER)
    wait_for(lambda: count(writable) >= 3, timeout=60, what="the counter")
    old_pid = runtime.state(cid)["pid"]
    ckpt(runtime, cid, "--image-path", str(tmp_path / "img"))
    # without --leave-running the container is gone, as runc leaves it
    assert runtime("state", cid, check=False).returncode != 0 and proc_state(old_pid) in (None, "Z")
    assert [d for d in own_cgroup_dirs(cgroup_path(writable)) if os.path.exists(d)] == []
    at_dump = count(writable)
    state = restore(runtime, writable, cid, tmp_path / "img", "--pid-file", str(tmp_path / "pid"))
    assert state["status"] == "running"
    with open(tmp_path / "pid") as f:
        assert int(f.read()) == state["pid"]
    wait_for(lambda: count(writable) > at_dump + 2, timeout=60, what="the counter to go on")
    assert count(writable) >= at_dump  # went on from where it was, never from 0 again
    # its own network namespace as it was: lo up with its addresses (runc always passes CRIU
    # empty_ns network, and its restored lo is down: --empty-ns network gives that here too)
    lo = exec_in(runtime, cid, "ip", "-o", "addr", "show", "lo").stdout
    assert "<LOOPBACK,UP," in exec_in(runtime, cid, "ip", "-o", "link", "show", "lo").stdout and "127.0.0.1/8" in lo
    # a normal container: in the cgroup its config names, exec, pause/resume, update, kill, delete
    assert cgroup_of(state["pid"]).endswith("/" + cgroup_path(writable))
    assert exec_in(runtime, cid, "cat", "/tmp/count").returncode == 0
    runtime("pause", cid)
    assert runtime.state(cid)["status"] == "paused"
    runtime("resume", cid)
    runtime("update", "--memory", "96m", cid)
    assert exec_in(runtime, cid, "cat", "/sys/fs/cgroup/memory.max").stdout.strip() == str(96 << 20)
    runtime("kill", cid, "KILL")
    wait_for(lambda: runtime.state(cid)["status"] == "stopped", timeout=30, what="stopped")
    runtime("delete", cid)
    assert leftovers(runtime, writable) == {}


def test_leave_running_then_restore_under_a_new_id_and_cgroup(runtime, writable, tmp_path,
                                                               remove_test_cgroup_parents):
    cid = run_detached(runtime, writable, "sh", "-c", COUNTER)
    wait_for(lambda: count(writable) >= 2, timeout=60, what="the counter")
    ckpt(runtime, cid, "--leave-running", "--image-path", str(tmp_path / "img"))
    assert runtime.state(cid)["status"] == "running"
    before = count(writable)
    wait_for(lambda: count(writable) > before, timeout=30, what="the counter to run on")
    runtime("delete", "--force", cid)
    new_parent = own_cgroup_parent()
    writable.config["linux"]["cgroupsPath"] = new_parent
    writable.save()
    try:
        state = restore(runtime, writable, "renamed", tmp_path / "img")
        assert state["id"] == "renamed" and state["status"] == "running"
        assert cgroup_of(state["pid"]).endswith("/" + new_parent)
        value = count(writable)
        wait_for(lambda: count(writable) > value, timeout=60, what="the restored counter")
        runtime("delete", "--force", "renamed")
    finally:
        for d in own_cgroup_dirs(new_parent):
            if os.path.exists(d):
                os.rmdir(d)


def test_pre_dump_then_dump_with_parent(runtime, writable, tmp_path, remove_test_cgroup_parents):
    cid = run_detached(runtime, writable, "sh", "-c", COUNTER)
    wait_for(lambda: count(writable) >= 2, timeout=60, what="the counter")
    images = tmp_path / "images"
    ckpt(runtime, cid, "--pre-dump", "--image-path", str(images / "pre"))
    assert runtime.state(cid)["status"] == "running"
    assert list((images / "pre").glob("pages-*.img")) and not list((images / "pre").glob("core-*.img"))  # memory only
    ckpt(runtime, cid, "--image-path", str(images / "final"), "--parent-path", "../pre")
    assert os.readlink(images / "final" / "parent") == "../pre"  # CRIU's link to the pre-dump's pages
    at_dump = count(writable)
    restore(runtime, writable, cid, images / "final")
    wait_for(lambda: count(writable) > at_dump, timeout=60, what="the counter after a two-step dump")
    runtime("delete", "--force", cid)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _read_byte(fd, timeout):
    import select
    ready, _, _ = select.select([fd], [], [], timeout)
    return os.read(fd, 1) if ready else b""


def test_lazy_pages_migration(runtime, writable, tmp_path, remove_test_cgroup_parents):
    """runc's "checkpoint --lazy-pages and restore": the dump keeps the memory pages and
    serves them (--page-server) once --status-fd says so; `criu lazy-pages` fetches them
    for the restored tasks as they touch them (userfaultfd). The checkpointed container
    stays until the last page has gone, so the copy runs under a new id and cgroup."""
    cid = run_detached(runtime, writable, "sh", "-c", COUNTER)
    wait_for(lambda: count(writable) >= 2, timeout=60, what="the counter")
    images, work, port = tmp_path / "img", tmp_path / "work", _free_port()
    ready_r, ready_w = os.pipe()
    with open(tmp_path / "checkpoint.err", "w") as err:
        dump = subprocess.Popen(runtime.cmd + ["--root", runtime.root, "checkpoint", "--lazy-pages", "--page-server",
                                               f"127.0.0.1:{port}", "--status-fd", str(ready_w), "--work-path",
                                               str(work), "--image-path", str(images), cid],
                                pass_fds=(ready_w,), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err)
    os.close(ready_w)
    lazy = None
    new_parent = own_cgroup_parent()
    try:
        assert _read_byte(ready_r, CRIU_TIMEOUT) == b"\0", (tmp_path / "checkpoint.err").read_text()
        assert (images / "inventory.img").exists()
        at_dump = count(writable)
        lazy = subprocess.Popen(["criu", "lazy-pages", "--page-server", "--address", "127.0.0.1", "--port", str(port),
                                 "-D", str(images), "-v4", "-o", str(tmp_path / "lazy.log")], stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(lambda: (images / "lazy-pages.socket").exists(), timeout=60, what="criu lazy-pages to listen")
        writable.config["linux"]["cgroupsPath"] = new_parent
        writable.save()
        state = restore(runtime, writable, "lazy-copy", images, "--lazy-pages")
        assert state["status"] == "running" and cgroup_of(state["pid"]).endswith("/" + new_parent)
        assert dump.wait(CRIU_TIMEOUT) == 0, (tmp_path / "checkpoint.err").read_text()  # every page sent
        assert lazy.wait(CRIU_TIMEOUT) == 0, (tmp_path / "lazy.log").read_text()[-2000:]
        # the restored tasks' page faults went to userfaultfd and were served from the source
        lazy_log = (tmp_path / "lazy.log").read_text()
        handled = [int(n) for n in re.findall(r"Found (\d+) pages to be handled by UFFD", lazy_log)]
        transferred = re.findall(r"UFFD transferred pages: \((\d+)/(\d+)\)", lazy_log)
        assert sum(handled) > 0 and "#PF at" in lazy_log, lazy_log[-2000:]
        assert transferred and all(done == total for done, total in transferred), transferred
        assert runtime("state", cid, check=False).returncode != 0  # the source is gone, as runc leaves it
        wait_for(lambda: count(writable) > at_dump + 2, timeout=60, what="the lazily restored counter")
        runtime("delete", "--force", "lazy-copy")
    finally:
        os.close(ready_r)
        for proc in (dump, lazy):
            if proc and proc.poll() is None:
                proc.kill()
                proc.wait()
        for d in own_cgroup_dirs(new_parent):
            if os.path.exists(d):
                os.rmdir(d)


TCP_PAIR = ("sleep 100000 | nc -l -p 5000 > /tmp/received & sleep 1; "  # the server's stdin never ends
            "i=0; while true; do echo $i; i=$((i+1)); sleep 0.2; done | nc 127.0.0.1 5000")


def test_an_established_tcp_connection_survives(runtime, writable, tmp_path, remove_test_cgroup_parents):
    cid = run_detached(runtime, writable, "sh", "-c", TCP_PAIR)
    received = os.path.join(writable.rootfs, "tmp", "received")

    def lines():
        try:
            with open(received) as f:
                return f.read().split()
        except FileNotFoundError:
            return []
    wait_for(lambda: len(lines()) >= 3, timeout=60, what="data over the connection")
    ckpt(runtime, cid, "--tcp-established", "--image-path", str(tmp_path / "img"))
    at_dump = len(lines())
    restore(runtime, writable, cid, tmp_path / "img", "--tcp-established")
    wait_for(lambda: len(lines()) > at_dump + 2, timeout=60, what="the same connection to carry on")
    got = [int(x) for x in lines()]
    assert got == list(range(len(got)))  # one stream, in order, nothing lost or repeated
    runtime("delete", "--force", cid)


def _console_listener(tmp_path, name):
    path = str(tmp_path / name)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(1)
    return listener, path


def _read_until(fd, predicate, timeout=60):
    seen = []

    def reader():
        while not predicate("".join(seen)):
            try:
                data = os.read(fd, 4096)
            except OSError:
                return
            if not data:
                return
            seen.append(data.decode(errors="replace"))
    t = threading.Thread(target=reader, daemon=True)
    t.start()
    t.join(timeout)
    return "".join(seen)


def test_a_pty_container_through_console_socket(runtime, writable, tmp_path, remove_test_cgroup_parents):
    writable.config["process"]["terminal"] = True
    writable.set_args("sh", "-c", "i=0; while true; do echo tick$i; i=$((i+1)); sleep 0.3; done")
    cid = new_id("tty")
    listener, path = _console_listener(tmp_path, "console1.sock")
    rc, err = quiet(runtime, tmp_path, "run", "-d", "--console-socket", path, "--bundle", writable.path, cid)
    assert rc == 0, err
    master, _ = receive_fd(listener)
    assert "tick2" in _read_until(master, lambda s: "tick2" in s)
    ckpt(runtime, cid, "--image-path", str(tmp_path / "img"))
    os.close(master)
    listener2, path2 = _console_listener(tmp_path, "console2.sock")
    result = {}
    t = threading.Thread(target=lambda: result.setdefault("fd", receive_fd(listener2)), daemon=True)
    t.start()
    restore(runtime, writable, cid, tmp_path / "img", "--console-socket", path2)
    t.join(30)
    master2 = result["fd"][0]
    out = _read_until(master2, lambda s: s.count("tick") >= 3)
    assert out.count("tick") >= 3 and "tick0\r" not in out  # goes on from where it was
    # the pty is the restored process's controlling terminal and stdio
    assert exec_in(runtime, cid, "sh", "-c", "readlink /proc/1/fd/1").stdout.startswith("/dev/pts/")
    runtime("delete", "--force", cid)
    os.close(master2)


SECCOMP_DENY_MKDIR = {"defaultAction": "SCMP_ACT_ALLOW",
                      "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}
# "N allowed|denied": N tells a fresh result from the one at the dump (the file is left as
# it was: CRIU reopens it for a shell caught mid-redirect, and checks its size)
# its stderr is /dev/null inside: a CI run once saw CRIU fail this dump on the host file the
# shell's stderr was ("Can't lookup mount" for a child's fd 2); the other tests dump that case
PROBE = ("exec 2>/dev/null; i=0; while true; do if mkdir /tmp/probe-dir 2>/dev/null; then r=allowed; else r=denied; fi; "
         "rmdir /tmp/probe-dir 2>/dev/null; echo \"$i $r\" > /tmp/probe; i=$((i+1)); sleep 0.3; done")


def _probe(bundle):
    try:
        with open(os.path.join(bundle.rootfs, "tmp", "probe")) as f:
            n, result = f.read().split()
            return int(n), result
    except (FileNotFoundError, ValueError):
        return -1, ""


def test_limits_seccomp_and_capabilities_survive(runtime, writable, tmp_path, remove_test_cgroup_parents):
    writable.config["linux"]["resources"] = {"memory": {"limit": 64 << 20}}
    writable.config["linux"]["seccomp"] = SECCOMP_DENY_MKDIR
    cid = run_detached(runtime, writable, "sh", "-c", PROBE)
    wait_for(lambda: _probe(writable)[1] == "denied", timeout=60, what="the probe")
    status_before = status_fields(exec_in(runtime, cid, "cat", "/proc/1/status").stdout)
    ckpt(runtime, cid, "--image-path", str(tmp_path / "img"))
    at_dump = _probe(writable)[0]
    state = restore(runtime, writable, cid, tmp_path / "img")
    wait_for(lambda: _probe(writable)[0] > at_dump + 1, timeout=60, what="the restored probe")
    assert _probe(writable)[1] == "denied"  # the restored init's own filter, seen from inside
    status_after = status_fields(exec_in(runtime, cid, "cat", "/proc/1/status").stdout)
    for field in ("Seccomp", "Seccomp_filters", "CapEff", "CapPrm", "CapBnd", "CapInh"):
        assert status_after[field] == status_before[field], field
    assert status_after["Seccomp"] == "2"
    with open(os.path.join(own_cgroup_dirs(cgroup_path(writable))[0], "memory.max")) as f:
        assert int(f.read()) == 64 << 20
    assert cgroup_of(state["pid"]).endswith("/" + cgroup_path(writable))
    # the limit applies: the restored container's own allocation beyond it is OOM-killed
    big = exec_in(runtime, cid, "sh", "-c", "head -c 100m /dev/zero | tail > /dev/null")
    assert big.returncode == 137, big
    runtime("delete", "--force", cid)


AA_PROFILES = "".join(f"profile oci-criu-{n} flags=(attach_disconnected,mediate_deleted,complain) {{\n}}\n"
                      for n in ("dumped", "restored"))


@pytest.fixture
def apparmor_profiles(tmp_path):
    """Two AppArmor profiles loaded (complain mode: they deny nothing). CRIU caches what it
    found of AppArmor in /run/criu.kdat, which is dropped when securityfs comes or goes."""
    with loaded_profiles(AA_PROFILES, str(tmp_path), on_securityfs_change=_drop_criu_kdat_cache):
        yield


def _drop_criu_kdat_cache():
    try:
        os.unlink("/run/criu.kdat")
    except FileNotFoundError:
        pass


def test_lsm_profile_rewrites_the_restored_apparmor_profile(runtime, bundle, tmp_path, apparmor_profiles,
                                                           remove_test_cgroup_parents):
    """restore --lsm-profile apparmor:NAME: CRIU puts the restored tasks in NAME instead of
    the profile they were dumped in (process.apparmorProfile); without it, in that one."""
    bundle.config["process"]["apparmorProfile"] = "oci-criu-dumped"
    cid = run_detached(runtime, bundle, "sh", "-c", "while true; do sleep 1; done")
    for image, flags, profile in (("img", (), "oci-criu-dumped"),
                                  ("img2", ("--lsm-profile", "apparmor:oci-criu-restored"), "oci-criu-restored")):
        ckpt(runtime, cid, "--image-path", str(tmp_path / image))
        state = restore(runtime, bundle, cid, tmp_path / image, *flags)
        with open(f"/proc/{state['pid']}/attr/current") as f:
            assert f.read().strip() == f"{profile} (complain)"  # as the kernel sees it
    runtime("delete", "--force", cid)


def _criu_version():
    out = subprocess.run([shutil.which("criu") or "criu", "--version"], capture_output=True, text=True).stdout
    return tuple(int(x) for x in out.split("Version:")[1].split()[0].split(".")[:2])


@pytest.mark.xfail(condition=_criu_version() < (3, 19) if shutil.which("criu") else True, strict=True,
                   reason="CRIU dumps and restores no_new_privs only from 3.19 (commit a605cc9f3)")
def test_no_new_privs_survives(runtime, writable, tmp_path, remove_test_cgroup_parents):
    writable.config["process"]["noNewPrivileges"] = True
    cid = run_detached(runtime, writable, "sh", "-c", COUNTER)
    assert status_fields(exec_in(runtime, cid, "cat", "/proc/1/status").stdout)["NoNewPrivs"] == "1"
    ckpt(runtime, cid, "--image-path", str(tmp_path / "img"))
    restore(runtime, writable, cid, tmp_path / "img")
    try:
        assert status_fields(exec_in(runtime, cid, "cat", "/proc/1/status").stdout)["NoNewPrivs"] == "1"
    finally:
        runtime("delete", "--force", cid)


def test_the_python_api(runtime, writable, tmp_path, remove_test_cgroup_parents):
    import ociruntime
    cid = run_detached(runtime, writable, "sh", "-c", COUNTER)
    wait_for(lambda: count(writable) >= 2, timeout=60, what="the counter")
    rt = ociruntime.Runtime(runtime.root)
    rt.get(cid).checkpoint(str(tmp_path / "img"))
    assert rt.list() == []
    mounts_before = open("/proc/self/mountinfo").read()
    # the restored init gets the caller's stdio in place of its own: of the same kinds here
    # (stdin /dev/null, stdout and stderr a plain file, as `run -d` had them)
    saved = [os.dup(fd) for fd in range(3)]
    null = os.open(os.devnull, os.O_RDWR)
    out = os.open(tmp_path / "api-out", os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        os.dup2(null, 0)
        os.dup2(out, 1)
        os.dup2(out, 2)
        c = rt.restore(cid, writable.path, str(tmp_path / "img"))
    finally:
        for fd, copy in enumerate(saved):
            os.dup2(copy, fd)
            os.close(copy)
        os.close(null)
        os.close(out)
    assert isinstance(c, ociruntime.Container) and c.status == "running"
    assert open("/proc/self/mountinfo").read() == mounts_before  # the caller's mount namespace untouched
    assert os.readlink(f"/proc/{c.pid}/ns/mnt") != os.readlink("/proc/self/ns/mnt")
    with open(f"/proc/{c.pid}/stat") as f:
        assert int(f.read().rsplit(")", 1)[1].split()[1]) == os.getpid()  # the restored init: the caller's child
    c.delete(force=True)
