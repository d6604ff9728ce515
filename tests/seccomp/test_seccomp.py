"""linux.seccomp in real busybox containers: Docker's profile, argument filters and
errnoRet seen from inside, the load order around the user switch (no_new_privs or
not), a SCMP_ACT_NOTIFY listener served by the test, and bad profiles that fail
`create` with one line and leave nothing behind."""
import copy
import errno
import fcntl
import json
import os
import select
import socket
import struct
import subprocess
import threading
import time

import pytest
from support import SAMPLES

from support import leftovers, new_id

DOCKER_CONFIG = os.path.join(SAMPLES, "config.json")
NOBODY = 65534


def docker_config():
    with open(DOCKER_CONFIG) as f:
        return json.load(f)


def run(runtime, bundle, script, check=True):
    """`run` a shell script in the bundle's container; the finished CLI process."""
    bundle.set_args("sh", "-c", script)
    return runtime("run", "--bundle", bundle.path, new_id(), check=check)


def with_profile(bundle, seccomp, writable=False):
    bundle.config["linux"]["seccomp"] = seccomp
    bundle.config["root"]["readonly"] = not writable
    bundle.save()


def allow_all_but(*syscalls):
    return {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": list(syscalls)}


def status_field(output, name):
    return next(line.split(":", 1)[1].strip() for line in output.splitlines() if line.startswith(name + ":"))


# --- Docker's profile ------------------------------------------------------------

@pytest.mark.parametrize("profile", [True, False], ids=["docker-profile", "no-profile"])
def test_docker_profile_denies_unshare_with_eperm(runtime, bundle, profile):
    """Docker's profile (for a container without CAP_SYS_ADMIN) has no unshare: EPERM.
    Without the profile the same container may create a user namespace."""
    docker = docker_config()
    bundle.config["process"]["capabilities"] = docker["process"]["capabilities"]
    bundle.config["process"]["noNewPrivileges"] = docker["process"].get("noNewPrivileges", False)
    if profile:
        with_profile(bundle, docker["linux"]["seccomp"])
    proc = run(runtime, bundle, "unshare -U true; echo unshare=$?; cat /proc/self/status; echo permitted > /dev/null && echo ok",
               check=False)
    assert proc.returncode == 0, proc.stderr
    if profile:
        assert "unshare=1" in proc.stdout
        assert "Operation not permitted" in proc.stderr
        assert status_field(proc.stdout, "Seccomp") == "2"
    else:
        assert "unshare=0" in proc.stdout
        assert status_field(proc.stdout, "Seccomp") == "0"
    assert proc.stdout.rstrip().endswith("ok")


@pytest.mark.parametrize("no_new_privileges", [False, True])
def test_filter_loads_for_a_non_root_user_with_or_without_nnp(runtime, bundle, no_new_privileges):
    """Without no_new_privs the filter needs CAP_SYS_ADMIN, so it is loaded before the
    switch to uid 65534; the runtime must not set no_new_privs on its own."""
    with_profile(bundle, docker_config()["linux"]["seccomp"])
    bundle.config["process"]["user"] = {"uid": NOBODY, "gid": NOBODY}
    bundle.config["process"]["noNewPrivileges"] = no_new_privileges
    proc = run(runtime, bundle, "id -u; cat /proc/self/status")
    assert proc.stdout.splitlines()[0] == str(NOBODY)
    assert status_field(proc.stdout, "Seccomp") == "2"
    assert status_field(proc.stdout, "NoNewPrivs") == str(int(no_new_privileges))
    assert status_field(proc.stdout, "CapEff") == "0000000000000000"


# --- custom profiles: errnoRet, argument filters, unknown names --------------------

@pytest.mark.parametrize("uid", [0, NOBODY], ids=["root", "nobody"])
@pytest.mark.parametrize("errno_ret", [errno.EPERM, errno.ENOSYS], ids=["EPERM", "ENOSYS"])
def test_a_profile_blocking_getcwd_does_not_fail_the_cwd_check(runtime, bundle, uid, errno_ret):
    """The cwd-breakout check (CVE-2024-21626) runs before the container's filter is
    loaded: it must not depend on what the profile allows (crun starts these)."""
    bundle.config["process"]["noNewPrivileges"] = False
    bundle.config["process"]["user"] = {"uid": uid, "gid": uid}
    bundle.config["process"]["cwd"] = "/tmp"
    with_profile(bundle, allow_all_but({"names": ["getcwd"], "action": "SCMP_ACT_ERRNO", "errnoRet": errno_ret}))
    proc = run(runtime, bundle, "cat /proc/self/status; /bin/pwd -P; echo pwd=$?", check=False)
    assert proc.returncode == 0, proc.stderr
    assert status_field(proc.stdout, "Seccomp") == "2" and status_field(proc.stdout, "NoNewPrivs") == "0"
    assert status_field(proc.stdout, "Uid").split()[0] == str(uid)
    assert "pwd=1" in proc.stdout  # the filter is there: getcwd fails inside

def test_errno_ret_is_the_error_the_blocked_syscall_returns(runtime, bundle):
    os.makedirs(os.path.join(bundle.rootfs, "tmp", "existing"))
    with_profile(bundle, allow_all_but(
        {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": errno.ENOSYS},
        {"names": ["rmdir"], "action": "SCMP_ACT_ERRNO"},
    ), writable=True)
    proc = run(runtime, bundle, "mkdir /tmp/new; rmdir /tmp/existing; echo done", check=False)
    assert "mkdir: can't create directory '/tmp/new': Function not implemented" in proc.stderr
    assert "rmdir: '/tmp/existing': Operation not permitted" in proc.stderr
    assert proc.stdout.strip() == "done"
    assert os.path.isdir(os.path.join(bundle.rootfs, "tmp", "existing"))
    assert not os.path.exists(os.path.join(bundle.rootfs, "tmp", "new"))


def test_argument_filters_block_only_matching_calls(runtime, bundle):
    """kill(pid, sig): SIGUSR1 by MASKED_EQ and SIGUSR2 by EQ on the same argument
    (runc makes that two rules, either matches); signal 0 passes."""
    with_profile(bundle, allow_all_but({
        "names": ["kill"], "action": "SCMP_ACT_ERRNO", "errnoRet": errno.EACCES,
        "args": [{"index": 1, "op": "SCMP_CMP_MASKED_EQ", "value": 0xFF, "valueTwo": 10},
                 {"index": 1, "op": "SCMP_CMP_EQ", "value": 12}],
    }))
    proc = run(runtime, bundle, "kill -0 $$ && echo zero=ok; kill -USR1 $$; echo usr1=$?; kill -USR2 $$; echo usr2=$?")
    assert proc.stdout.split() == ["zero=ok", "usr1=1", "usr2=1"]
    assert proc.stderr.count("Permission denied") == 2


def test_names_unknown_to_libseccomp_are_ignored_as_runc_does(runtime, bundle):
    with_profile(bundle, allow_all_but(
        {"names": ["no_such_syscall", "mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": errno.ENOSYS},
    ), writable=True)
    proc = run(runtime, bundle, "mkdir /tmp/new", check=False)
    assert "Function not implemented" in proc.stderr


def test_a_syscall_of_another_architecture_only_is_accepted(runtime, bundle):
    """socketcall exists on x86 only: with SCMP_ARCH_X86 listed it is a rule for that arch."""
    docker = docker_config()["linux"]["seccomp"]
    profile = allow_all_but({"names": ["socketcall"], "action": "SCMP_ACT_ERRNO"})
    profile["architectures"] = docker["architectures"]
    with_profile(bundle, profile)
    assert run(runtime, bundle, "echo fine").stdout.strip() == "fine"


# --- SCMP_ACT_NOTIFY ----------------------------------------------------------------

SECCOMP_IOCTL_NOTIF_RECV = 0xC0502100   # _IOWR('!', 0, struct seccomp_notif), 80 bytes
SECCOMP_IOCTL_NOTIF_SEND = 0xC0182101   # _IOWR('!', 1, struct seccomp_notif_resp), 24 bytes
NOTIF = struct.Struct("QIIiIQ6Q")       # id, pid, flags, data{nr, arch, ip, args[6]}
NOTIF_RESP = struct.Struct("QqiI")      # id, val, error, flags


class Listener:
    """A seccomp agent's socket: receives one container process state and its fd."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        self.sock.listen(1)
        self.message, self.fds = b"", []
        self.thread = threading.Thread(target=self._receive, daemon=True)
        self.thread.start()

    def _receive(self):
        conn, _ = self.sock.accept()
        with conn:
            data, self.fds, _, _ = socket.recv_fds(conn, 1 << 20, 4)
            while data:
                self.message += data
                data = conn.recv(1 << 20)

    def state(self, timeout=10):
        self.thread.join(timeout)
        return json.loads(self.message)

    def close(self):
        self.sock.close()
        for fd in self.fds:
            os.close(fd)


def answer_one_notification(fd, error, timeout=10):
    """Receive one notified syscall and fail it with `error`; (pid, syscall nr)."""
    if not select.select([fd], [], [], timeout)[0]:
        raise AssertionError("no seccomp notification arrived")
    buf = bytearray(NOTIF.size)
    fcntl.ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, buf)
    notif_id, pid, _, nr, *_ = NOTIF.unpack(buf)
    fcntl.ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, bytearray(NOTIF_RESP.pack(notif_id, 0, -error, 0)))
    return pid, nr


def create_detached(runtime, bundle, *args):
    """`create` with its stdio in a file: the created init keeps the runtime's stdio."""
    log = os.path.join(bundle.path, "create.out")
    with open(log, "w") as out:
        proc = subprocess.run(runtime.cmd + ["--root", runtime.root, "--log", runtime.log, "create",
                                             "--bundle", bundle.path, *args],
                              stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, timeout=60)
    with open(log) as f:
        assert proc.returncode == 0, f.read()


def wait_stopped(runtime, cid, timeout=10):
    deadline = time.monotonic() + timeout
    while runtime.state(cid)["status"] != "stopped":
        if time.monotonic() > deadline:
            raise AssertionError(f"{cid} did not stop")
        time.sleep(0.02)


def test_notify_listener_gets_the_state_and_a_working_notify_fd(runtime, bundle, tmp_path):
    listener = Listener(str(tmp_path / "agent.sock"))
    try:
        with_profile(bundle, {
            "defaultAction": "SCMP_ACT_ALLOW", "listenerPath": str(tmp_path / "agent.sock"),
            "listenerMetadata": "agent-args", "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_NOTIFY"}],
        }, writable=True)
        bundle.set_args("sh", "-c", "exec 2>/out; exec mkdir /made")
        cid = new_id()
        pid_file = str(tmp_path / "pid")
        create_detached(runtime, bundle, "--pid-file", pid_file, cid)
        state = listener.state()
        with open(pid_file) as f:
            pid = int(f.read())
        assert state["ociVersion"].startswith("1.") and state["fds"] == ["seccompFd"]
        assert (state["pid"], state["metadata"]) == (pid, "agent-args")
        assert {k: state["state"][k] for k in ("id", "status", "pid", "bundle")} == \
            {"id": cid, "status": "creating", "pid": pid, "bundle": bundle.path}
        assert len(listener.fds) == 1
        assert os.readlink(f"/proc/self/fd/{listener.fds[0]}") == "anon_inode:seccomp notify"

        runtime("start", cid)
        notified_pid, nr = answer_one_notification(listener.fds[0], errno.ENOSPC)
        assert notified_pid == pid and nr in (83, 258)  # the init itself; x86_64 mkdir, mkdirat
        wait_stopped(runtime, cid)
        with open(os.path.join(bundle.rootfs, "out")) as f:
            assert f.read() == "mkdir: can't create directory '/made': No space left on device\n"
        runtime("delete", cid)
    finally:
        listener.close()


# --- bad profiles ---------------------------------------------------------------------

BASE = allow_all_but({"names": ["mkdir"], "action": "SCMP_ACT_ERRNO",
                      "args": [{"index": 0, "op": "SCMP_CMP_EQ", "value": 1}]})


def _set(path, value):
    def change(profile):
        *parents, last = path
        target = profile
        for key in parents:
            target = target[key]
        target[last] = value
    return change


BAD_PROFILES = {
    "action": (_set(("syscalls", 0, "action"), "SCMP_ACT_BOGUS"), "linux.seccomp.syscalls[0].action"),
    "default-action": (_set(("defaultAction",), "SCMP_ACT_NOTIFY"), "linux.seccomp.defaultAction"),
    "op": (_set(("syscalls", 0, "args", 0, "op"), "SCMP_CMP_BOGUS"), "linux.seccomp.syscalls[0].args[0].op"),
    "arg-index": (_set(("syscalls", 0, "args", 0, "index"), 6), "linux.seccomp.syscalls[0].args[0].index"),
    "arch-unknown": (_set(("architectures",), ["SCMP_ARCH_BOGUS"]), "linux.seccomp.architectures[0]"),
    "arch-unsupported": (_set(("architectures",), ["SCMP_ARCH_SH"]), "linux.seccomp.architectures[0]"),
    "flag": (_set(("flags",), ["SECCOMP_FILTER_FLAG_BOGUS"]), "linux.seccomp.flags[0]"),
    "notify-no-listener": (_set(("syscalls", 0, "action"), "SCMP_ACT_NOTIFY"), "linux.seccomp.listenerPath: required"),
    "notify-sendmsg": (_set(("syscalls", 0), {"names": ["sendmsg"], "action": "SCMP_ACT_NOTIFY"}),
                       "SCMP_ACT_NOTIFY cannot be used for sendmsg"),
    "listener-unreachable": (lambda p: p.update(listenerPath="/nonexistent/agent.sock",
                                                syscalls=[{"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}]),
                             "linux.seccomp.listenerPath: cannot connect to /nonexistent/agent.sock"),
    "flag-newer-than-libseccomp": (_set(("flags",), ["SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"]),
                                   "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV needs libseccomp 2.6"),
}


@pytest.mark.parametrize("case", sorted(BAD_PROFILES))
def test_bad_profile_fails_create_with_one_line_and_leaves_nothing(runtime, bundle, case):
    change, expected = BAD_PROFILES[case]
    profile = copy.deepcopy(BASE)
    change(profile)
    with_profile(bundle, profile)
    bundle.set_args("true")
    proc = runtime("create", "--bundle", bundle.path, new_id(), check=False)
    assert proc.returncode != 0
    assert expected in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert not leftovers(runtime, bundle)


def test_notify_listener_gets_an_exec_ed_process_and_its_fd(runtime, bundle, tmp_path):
    """As runc: each exec'd process under a listener profile hands its own notify fd to the
    agent, with its host pid and the container's state (pid: the init's, status running)."""
    path = str(tmp_path / "agent.sock")
    listener = Listener(path)
    try:
        with_profile(bundle, {"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": path, "listenerMetadata": "m",
                              "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_NOTIFY"}]},
                     writable=True)
        bundle.set_args("sleep", "100")
        cid = new_id()
        pid_file = str(tmp_path / "pid")
        create_detached(runtime, bundle, "--pid-file", pid_file, cid)
        listener.state()
        listener.close()
        os.unlink(path)
        runtime("start", cid)
        with open(pid_file) as f:
            init_pid = int(f.read())
        listener = Listener(path)                          # the agent, listening again for the exec
        exec_pid_file = str(tmp_path / "exec.pid")
        proc = subprocess.Popen(runtime.cmd + ["--root", runtime.root, "exec", "--pid-file", exec_pid_file, cid,
                                               "mkdir", "/made-by-exec"],
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        state = listener.state()
        assert state["fds"] == ["seccompFd"] and state["metadata"] == "m"
        assert {k: state["state"][k] for k in ("id", "status", "pid")} == {"id": cid, "status": "running",
                                                                           "pid": init_pid}
        notified_pid, _ = answer_one_notification(listener.fds[0], errno.EROFS)
        _, err = proc.communicate(timeout=30)
        with open(exec_pid_file) as f:
            exec_pid = int(f.read())
        assert state["pid"] == exec_pid == notified_pid != init_pid
        assert proc.returncode == 1 and "Read-only file system" in err
        runtime("delete", "--force", cid)
    finally:
        listener.close()
