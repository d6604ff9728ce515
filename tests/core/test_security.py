"""What a container must not get from the host or the runtime: symlinks in the rootfs
do not redirect mounts to the host, no runtime fd reaches it, and its init cannot be
ptraced (/proc/PID/exe, mem) until it has exec'd the user's program."""
import ctypes
import os
import subprocess

from support import new_id

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


def test_only_stdio_is_open_in_the_container(runtime, bundle):
    # "; true": else the shell execs ls, and $$ would show ls's own directory fd
    assert output_of(runtime, bundle, "sh", "-c", "ls /proc/$$/fd; true").split() == ["0", "1", "2"]


def test_preserve_fds_passes_exactly_n_extra_fds(runtime, bundle):
    bundle.set_args("sh", "-c", "ls /proc/$$/fd; true")
    cmd = runtime.cmd + ["--root", runtime.root, "run", "--preserve-fds", "2", "--bundle", bundle.path, new_id()]
    out = subprocess.run(["sh", "-c", 'exec "$@" 3</dev/null 4</dev/null 5</dev/null', "sh", *cmd],
                         capture_output=True, text=True, check=True).stdout
    assert out.split() == ["0", "1", "2", "3", "4"]


def test_a_created_init_holds_no_runtime_fds(runtime, bundle):
    cid, pid = created(runtime, bundle, "sleep", "100")
    fds = {int(fd): os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")}
    extra = sorted(target.split(":")[0] for fd, target in fds.items() if fd > 2)
    # the start socket, and the sealed exec stub the program will be exec'd through
    assert extra == ["/memfd", "socket"], fds
    assert any(t.startswith("/memfd:ociruntime-exec (deleted)") for t in fds.values()), fds
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
