"""What a container must not get from the host or the runtime: symlinks in the rootfs
do not redirect mounts to the host, no runtime fd reaches it, and its init cannot be
ptraced (/proc/PID/exe, mem) until it has exec'd the user's program."""
import ctypes
import os
import subprocess

import pytest
from support import detached, leftovers, new_id, wait_for

from .conftest import output_of
from .test_lifecycle import created

CAP_SYS_PTRACE = 19


def test_bind_to_a_symlink_pointing_at_the_host_lands_in_the_rootfs(runtime, bundle, tmp_path):
    host_dir = tmp_path / "host-dir"
    host_dir.mkdir()
    os.symlink(str(host_dir), os.path.join(bundle.rootfs, "mnt"))
    src = tmp_path / "src"
    src.mkdir()
    (src / "payload").write_text("p")
    bundle.config["mounts"].append({"destination": "/mnt", "type": "bind", "source": str(src),
                                    "options": ["rbind"]})
    bundle.config["root"]["readonly"] = False
    out = output_of(runtime, bundle, "sh", "-c", "ls /mnt; touch /mnt/written")
    assert out.split() == ["payload"]
    assert os.listdir(host_dir) == []
    assert (src / "written").exists()
    inside = os.path.join(bundle.rootfs, str(host_dir).lstrip("/"))
    assert os.path.isdir(inside)  # the symlink resolved within the rootfs, as runc's securejoin does


def test_relative_symlink_escape_stays_in_the_rootfs(runtime, bundle, tmp_path):
    os.symlink("../../../../../../../../" + str(tmp_path).lstrip("/") + "/escape",
               os.path.join(bundle.rootfs, "esc"))
    bundle.config["mounts"].append({"destination": "/esc", "type": "tmpfs", "source": "tmpfs"})
    bundle.config["root"]["readonly"] = False
    output_of(runtime, bundle, "touch", "/esc/written")
    assert not (tmp_path / "escape").exists()


def _kernel_fs_mounted_at(path):
    """Mount points of procfs or sysfs at or below path, from the host's mountinfo."""
    with open("/proc/self/mountinfo") as f:
        return [line for line in f if line.split()[4].startswith(path) and
                line.split(" - ")[1].split()[0] in ("proc", "sysfs")]


@pytest.mark.parametrize("where, fs", [("proc", "proc"), ("sys", "sysfs")])
@pytest.mark.parametrize("form", ["in the rootfs", "absolute to the host", "relative to the host"])
def test_proc_or_sys_through_a_symlink_is_refused(runtime, bundle, tmp_path, where, fs, form):
    """CVE-2019-19921: a symlinked /proc or /sys would carry the kernel filesystem (and
    the masked paths over it) elsewhere: refused as runc does, before anything runs."""
    host = tmp_path / "host-target"
    host.mkdir()
    link = os.path.join(bundle.rootfs, where)
    os.rmdir(link)
    target = {"in the rootfs": "fake" + where, "absolute to the host": str(host),
              "relative to the host": "../" * 12 + str(host).lstrip("/")}[form]
    os.makedirs(os.path.join(bundle.rootfs, "fake" + where))
    os.symlink(target, link)
    bundle.set_args("true")
    rc, _, err = detached(runtime, "run", "--bundle", bundle.path, new_id())
    assert rc != 0
    assert err.count("\n") == 1, err
    assert f'filesystem "{fs}" must be mounted on ordinary directory' in err, err
    assert leftovers(runtime, bundle) == {}
    assert os.listdir(host) == [] and os.listdir(os.path.join(bundle.rootfs, "fake" + where)) == []
    assert _kernel_fs_mounted_at(str(tmp_path)) == []


def test_a_symlink_above_a_proc_mount_resolves_inside_the_rootfs(runtime, bundle, tmp_path):
    """Only the last component must be a real directory: a symlink on the way is followed
    as if the rootfs were "/", never to the host."""
    host = tmp_path / "host-target"
    host.mkdir()
    os.symlink(str(host), os.path.join(bundle.rootfs, "sub"))
    bundle.config["mounts"].append({"destination": "/sub/proc", "type": "proc", "source": "proc"})
    out = output_of(runtime, bundle, "stat", "-f", "-c", "%T", str(host) + "/proc")
    assert out.split() == ["proc"]
    assert os.listdir(host) == [] and _kernel_fs_mounted_at(str(tmp_path)) == []
    assert os.path.isdir(os.path.join(bundle.rootfs, str(host).lstrip("/"), "proc"))


def test_proc_on_a_file_is_refused(runtime, bundle):
    os.rmdir(os.path.join(bundle.rootfs, "proc"))
    open(os.path.join(bundle.rootfs, "proc"), "w").close()
    rc, _, err = detached(runtime, "run", "--bundle", bundle.path, new_id())
    assert rc != 0 and 'filesystem "proc" must be mounted on ordinary directory' in err, err
    assert leftovers(runtime, bundle) == {}


def test_missing_proc_and_sys_are_made_as_directories(runtime, bundle):
    os.rmdir(os.path.join(bundle.rootfs, "proc"))
    os.rmdir(os.path.join(bundle.rootfs, "sys"))
    out = output_of(runtime, bundle, "stat", "-f", "-c", "%T", "/proc", "/sys")
    assert out.split() == ["proc", "sysfs"]


def test_only_stdio_is_open_in_the_container(runtime, bundle):
    # "; true": else the shell execs ls, and $$ would show ls's own directory fd
    assert output_of(runtime, bundle, "sh", "-c", "ls /proc/$$/fd; true").split() == ["0", "1", "2"]


def test_preserve_fds_passes_exactly_n_extra_fds(runtime, bundle):
    bundle.set_args("sh", "-c", "ls /proc/$$/fd; true")
    cmd = runtime.cmd + ["--root", runtime.root, "run", "--preserve-fds", "2", "--bundle", bundle.path, new_id()]
    out = subprocess.run(["sh", "-c", 'exec "$@" 3</dev/null 4</dev/null 5</dev/null', "sh", *cmd],
                         capture_output=True, text=True, check=True).stdout
    assert out.split() == ["0", "1", "2", "3", "4"]


@pytest.mark.parametrize("how", ["run", "create-start"])
def test_preserve_fds_with_gaps_passes_the_open_ones_only(runtime, bundle, tmp_path, how):
    """--preserve-fds 4 with only fds 3 and 5 open: those two reach the container (as
    crun), fds 4 and 6 stay closed, and none of the runtime's own fds fills a gap."""
    (tmp_path / "three").write_text("3\n")
    (tmp_path / "five").write_text("5\n")
    bundle.set_args("sh", "-c", "ls /proc/$$/fd; cat <&3; cat <&5")
    cid = new_id()
    out = tmp_path / "out"
    flags = ["--preserve-fds", "4", "--bundle", bundle.path, cid]
    cmd = runtime.cmd + ["--root", runtime.root] + (["run"] + flags if how == "run" else ["create"] + flags)
    with open(out, "w") as stdout:
        subprocess.run(["sh", "-c", f'exec "$@" 3<{tmp_path}/three 5<{tmp_path}/five', "sh", *cmd],
                       stdin=subprocess.DEVNULL, stdout=stdout, check=True, timeout=60)
    if how != "run":
        runtime("start", cid)
        wait_for(lambda: runtime.state(cid)["status"] == "stopped", what="the container to exit")
        runtime("delete", cid)
    lines = out.read_text().split()
    assert lines == ["0", "1", "2", "3", "5", "3", "5"], lines


def test_socket_activation_passes_listen_fds_to_the_containers_pid_1(runtime, bundle):
    """LISTEN_FDS=2 from a socket activator: fds 3 and 4 reach the container with
    LISTEN_FDS=2 and LISTEN_PID=1 (its own pid 1, as crun sets it) in its environment."""
    import socket
    pairs = [socket.socketpair() for _ in range(2)]
    bundle.set_args("sh", "-c", 'echo "$LISTEN_FDS $LISTEN_PID $$"; ls /proc/$$/fd; echo one >&3; echo two >&4; true')
    cmd = runtime.cmd + ["--root", runtime.root, "run", "--bundle", bundle.path, new_id()]
    ours = [pairs[0][1].fileno(), pairs[1][1].fileno()]
    proc = subprocess.run(["bash", "-c", f'exec "$@" 3<&{ours[0]} 4<&{ours[1]}', "sh", *cmd], pass_fds=ours,
                          env={**os.environ, "LISTEN_FDS": "2"}, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=60)
    for a, b in pairs:
        b.close()
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.split("\n")
    assert lines[0] == "2 1 1" and lines[1:-1] == ["0", "1", "2", "3", "4"], proc.stdout
    assert [a.recv(16) for a, _ in pairs] == [b"one\n", b"two\n"]
    for a, _ in pairs:
        a.close()


def test_a_created_init_holds_no_runtime_fds(runtime, bundle):
    cid, pid = created(runtime, bundle, "sleep", "100")
    fds = {int(fd): os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")}
    extra = sorted(target.split(":")[0] for fd, target in fds.items() if fd > 2)
    # the start socket only, as runc's leak check wants: the sealed exec stub comes with `start`
    assert extra == ["socket"], fds
    runtime("delete", "--force", cid)



def ptrace_access_without_cap_sys_ptrace(pid):
    """Can a root process without CAP_SYS_PTRACE in effect read /proc/PID/exe?
    (Same uid, caps a superset: only the target's dumpable flag decides.)"""
    child = os.fork()
    if child == 0:
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            header = (ctypes.c_uint32 * 2)(0x20080522, 0)
            data = (ctypes.c_uint32 * 6)()
            libc.capget(header, data)
            data[0] &= ~(1 << CAP_SYS_PTRACE)  # effective, low word
            if libc.capset(header, data) != 0:
                os._exit(3)
            os.readlink(f"/proc/{pid}/exe")
            os._exit(0)
        except PermissionError:
            os._exit(1)
        except BaseException:
            os._exit(2)
    return os.waitstatus_to_exitcode(os.waitpid(child, 0)[1])


def test_a_created_init_is_not_dumpable_and_the_program_is(runtime, bundle):
    cid, pid = created(runtime, bundle, "sleep", "100")
    assert ptrace_access_without_cap_sys_ptrace(pid) == 1
    runtime("start", cid)
    assert ptrace_access_without_cap_sys_ptrace(pid) == 0
    runtime("delete", "--force", cid)
