"""`exec`: a new process in a running container, checked from the host (/proc of
the init and of the new process) and from inside (/proc/self)."""
import json
import os
import socket
import subprocess

from ociruntime.linux import CAP_NUMBERS
from support import SAMPLES, read_pty, receive_fd, wait_for

from support import detached, exec_in, pids_sharing_pid_ns, start_container, status_fields

NAMESPACES = ("pid", "net", "mnt", "uts", "ipc", "cgroup")
SAMPLE_PROCESS = os.path.join(SAMPLES, "exec-process.json")


def test_exec_joins_every_namespace_of_the_init(runtime, container):
    script = "; ".join(f"stat -L -c '{ns} %i' /proc/self/ns/{ns}" for ns in NAMESPACES)
    proc = exec_in(runtime, container.id, "sh", "-c", script)
    assert proc.returncode == 0, proc.stderr
    inside = dict(line.split() for line in proc.stdout.splitlines())
    host = {ns: str(os.stat(f"/proc/{container.pid}/ns/{ns}").st_ino) for ns in NAMESPACES}
    assert inside == host
    assert host["mnt"] != str(os.stat("/proc/self/ns/mnt").st_ino)


def test_detached_exec_writes_its_pid_and_shares_the_init_cgroup(runtime, bundle, container):
    pid_file = os.path.join(bundle.path, "exec.pid")
    rc, _, err = detached(runtime, "exec", "--detach", "--pid-file", pid_file, container.id, "sleep", "1000")
    assert rc == 0, err
    with open(pid_file) as f:
        pid = int(f.read())
    with open(f"/proc/{pid}/cmdline") as f:
        assert f.read() == "sleep\x001000\x00"
    with open(f"/proc/{pid}/cgroup") as f, open(f"/proc/{container.pid}/cgroup") as g:
        assert f.read() == g.read()
    assert pid in pids_sharing_pid_ns(container.pid)
    with open(f"/proc/{pid}/status") as f:
        assert status_fields(f.read())["NSpid"].split()[-1] != str(pid)  # a pid of its own inside


def test_exit_code_is_the_process_status(runtime, container):
    assert exec_in(runtime, container.id, "sh", "-c", "exit 3").returncode == 3
    assert exec_in(runtime, container.id, "sh", "-c", "kill -KILL $$").returncode == 128 + 9
    assert exec_in(runtime, container.id, "sh", "-c", "kill -TERM $$").returncode == 128 + 15


def test_user_groups_env_cwd_and_no_new_privs(runtime, container):
    proc = exec_in(runtime, "--user", "1000:1001", "--additional-gids", "5", "-g", "7", "--env", "FOO=bar baz",
                   "-e", "PATH=/bin", "--cwd", "/tmp", "--no-new-privs", container.id,
                   "sh", "-c", 'pwd; echo "$FOO"; cat /proc/self/status')
    assert proc.returncode == 0, proc.stderr
    cwd, foo, status = proc.stdout.split("\n", 2)
    fields = status_fields(status)
    assert (cwd, foo) == ("/tmp", "bar baz")
    assert fields["Uid"].split() == ["1000"] * 4 and fields["Gid"].split() == ["1001"] * 4
    assert sorted(map(int, fields["Groups"].split())) == [5, 7]
    assert fields["NoNewPrivs"] == "1"


def test_cap_adds_to_the_containers_capabilities(runtime, container):
    def caps(*flags):
        proc = exec_in(runtime, *flags, container.id, "cat", "/proc/self/status")
        assert proc.returncode == 0, proc.stderr
        fields = status_fields(proc.stdout)
        return int(fields["CapEff"], 16), int(fields["CapBnd"], 16)

    base_eff, base_bnd = caps()
    eff, bnd = caps("--cap", "CAP_SYS_ADMIN", "--cap", "CAP_NET_ADMIN")
    added = 1 << CAP_NUMBERS["CAP_SYS_ADMIN"] | 1 << CAP_NUMBERS["CAP_NET_ADMIN"]
    assert base_eff & added == 0
    assert eff == base_eff | added and bnd == base_bnd | added


def test_process_file_from_docker(runtime, bundle, container):
    with open(SAMPLE_PROCESS) as f:
        process = json.load(f)
    process["args"] = ["sh", "-c", "echo $HOSTNAME; cat /proc/self/status"]
    path = os.path.join(bundle.path, "process.json")
    with open(path, "w") as f:
        json.dump(process, f)
    proc = exec_in(runtime, "--process", path, container.id)
    assert proc.returncode == 0, proc.stderr
    hostname, status = proc.stdout.split("\n", 1)
    fields = status_fields(status)
    assert hostname == "eb5ef806f442"
    assert int(fields["CapEff"], 16) == sum(1 << CAP_NUMBERS[c] for c in process["capabilities"]["effective"])
    assert fields["Groups"].split() == ["0"]


def test_tty_exec_sends_the_pty_master_to_the_console_socket(runtime, bundle, container):
    path = os.path.join(bundle.path, "console.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(1)
    with listener:
        proc = subprocess.Popen(runtime.cmd + ["--root", runtime.root, "exec", "--tty", "--console-socket", path,
                                               container.id, "sh", "-c", "tty; stat -L -c %t,%T /proc/self/fd/0"],
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        listener.settimeout(20)
        master, name = receive_fd(listener)
    try:
        out = read_pty(master)
    finally:
        os.close(master)
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    tty, major_minor = out.split()
    assert tty.startswith("/dev/pts/") and name == tty
    assert major_minor.split(",")[0] == "88"  # a pts slave (major 136 = 0x88)


def test_exec_into_a_created_container_joins_it(runtime, bundle):
    c = start_container(runtime, bundle, "sleep", "1000", create_only=True)
    try:
        proc = exec_in(runtime, c.id, "stat", "-L", "-c", "%i", "/proc/self/ns/mnt")
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.strip() == str(os.stat(f"/proc/{c.pid}/ns/mnt").st_ino)
        assert runtime.state(c.id)["status"] == "created"
    finally:
        runtime("delete", "--force", c.id)


def test_exec_into_a_paused_container_is_refused(runtime, container):
    runtime("pause", container.id)
    try:
        before = pids_sharing_pid_ns(container.pid)
        proc = exec_in(runtime, container.id, "true")
        assert proc.returncode == 255  # as runc's: a failed exec, told from the process's own status
        assert proc.stderr.strip().splitlines() == ["ociruntime: cannot exec in a paused container"]
        assert pids_sharing_pid_ns(container.pid) == before
    finally:
        runtime("resume", container.id)


def test_exec_into_a_stopped_container_is_refused(runtime, bundle):
    c = start_container(runtime, bundle, "true")
    wait_for(lambda: runtime.state(c.id)["status"] == "stopped")
    proc = exec_in(runtime, c.id, "true")
    assert proc.returncode != 0
    assert proc.stderr.strip().splitlines() == ["ociruntime: cannot exec in a stopped container"]
    runtime("delete", c.id)


def test_exec_of_a_missing_command_fails_and_leaves_nothing(runtime, container):
    before = pids_sharing_pid_ns(container.pid)
    proc = exec_in(runtime, container.id, "no-such-command", "arg")
    assert proc.returncode == 255
    assert proc.stderr.strip().splitlines() == [
        'ociruntime: exec: "no-such-command": executable file not found in $PATH']
    assert pids_sharing_pid_ns(container.pid) == before
    assert runtime.state(container.id)["status"] == "running"


def _write_process(bundle, text):
    path = os.path.join(bundle.path, "process.json")
    with open(path, "w") as f:
        f.write(text)
    return path


def test_bad_process_files_are_one_line_errors(runtime, bundle, container):
    cases = {
        '{"args": ["true"],': "invalid JSON",
        '{"cwd": "/"}': "process.args: must be a non-empty array",
        '{"args": []}': "process.args: must be a non-empty array",
        '{"args": ["true"], "cwd": "tmp"}': "process.cwd: must be an absolute path",
        '["true"]': "process.args: must be a non-empty array",
    }
    before = pids_sharing_pid_ns(container.pid)
    for text, message in cases.items():
        proc = exec_in(runtime, "--process", _write_process(bundle, text), container.id)
        lines = proc.stderr.strip().splitlines()
        assert proc.returncode != 0 and len(lines) == 1 and message in lines[0], (text, proc.stderr)
    missing = exec_in(runtime, "--process", os.path.join(bundle.path, "nope.json"), container.id)
    assert missing.returncode != 0 and "No such file or directory" in missing.stderr
    assert pids_sharing_pid_ns(container.pid) == before


def test_bad_exec_flags_are_one_line_errors(runtime, container):
    for flags, message in ((["--user", "bob"], "--user bob: expected uid[:gid] as numbers"),
                           (["--cap", "CAP_NOPE"], "unknown capability 'CAP_NOPE'"),
                           (["--cwd", "/no/such/dir"], "chdir to cwd")):
        proc = exec_in(runtime, *flags, container.id, "true")
        lines = proc.stderr.strip().splitlines()
        assert proc.returncode == 255 and len(lines) == 1 and message in lines[0], (flags, proc.stderr)
    assert exec_in(runtime, "nope-" + container.id, "true").stderr.strip() == \
        f"ociruntime: container nope-{container.id} does not exist"



def test_exec_cap_raises_ambient_where_inheritable_allows(runtime, bundle):
    """runc 1.1: --cap adds to bounding, effective, permitted and ambient; the kernel
    keeps an ambient cap only if inheritable has it."""
    bundle.config["process"]["capabilities"] = {
        "inheritable": ["CAP_CHOWN", "CAP_SYSLOG"], "permitted": ["CAP_KILL", "CAP_CHOWN"],
        "effective": ["CAP_KILL"], "bounding": ["CAP_KILL", "CAP_CHOWN", "CAP_SYSLOG"], "ambient": ["CAP_CHOWN"]}
    c = start_container(runtime, bundle, "sleep", "1000")
    try:
        def caps(*flags):
            proc = exec_in(runtime, *flags, c.id, "cat", "/proc/self/status")
            assert proc.returncode == 0, proc.stderr
            fields = status_fields(proc.stdout)
            return {k: int(fields[k], 16) for k in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb")}
        chown, kill, syslog, admin = (1 << CAP_NUMBERS[n] for n in ("CAP_CHOWN", "CAP_KILL", "CAP_SYSLOG",
                                                                      "CAP_SYS_ADMIN"))
        assert caps() == {"CapInh": chown | syslog, "CapPrm": chown | kill, "CapEff": chown | kill,
                          "CapBnd": chown | kill | syslog, "CapAmb": chown}
        assert caps("--cap", "CAP_SYSLOG", "--cap", "CAP_SYS_ADMIN") == {
            "CapInh": chown | syslog, "CapPrm": chown | kill | syslog | admin,
            "CapEff": chown | kill | syslog | admin, "CapBnd": chown | kill | syslog | admin,
            "CapAmb": chown | syslog}
    finally:
        runtime("delete", "--force", c.id)


def test_exec_pid_file_in_a_missing_directory_fails_and_leaves_nothing(runtime, bundle, container):
    before = pids_sharing_pid_ns(container.pid)
    pid_file = os.path.join(bundle.path, "no-such-dir", "exec.pid")
    for flags in ((), ("--detach",)):
        proc = exec_in(runtime, *flags, "--pid-file", pid_file, container.id, "sleep", "1000")
        assert proc.returncode == 255
        assert proc.stderr.strip().splitlines() == [f"ociruntime: --pid-file {pid_file}: No such file or directory"]
        assert pids_sharing_pid_ns(container.pid) == before


def test_a_program_the_kernel_cannot_exec_names_itself(runtime, bundle, container):
    """/run.sh is there and executable but its interpreter is not: execve fails with
    ENOENT; the error names the program (runc: `exec /run.sh: no such file or directory`),
    with and without a terminal."""
    with open(os.path.join(bundle.rootfs, "run.sh"), "w") as f:
        f.write("#!/no/such/interpreter\necho ran\n")
    os.chmod(os.path.join(bundle.rootfs, "run.sh"), 0o755)
    before = pids_sharing_pid_ns(container.pid)
    proc = exec_in(runtime, container.id, "/run.sh")
    assert proc.returncode == 255
    assert proc.stderr.strip().splitlines() == ["ociruntime: exec /run.sh: No such file or directory"]
    sock_path = os.path.join(bundle.path, "console.sock")
    with socket.socket(socket.AF_UNIX) as listener:
        listener.bind(sock_path)
        listener.listen(1)
        proc = subprocess.Popen(runtime.cmd + ["--root", runtime.root, "exec", "--detach", "--tty", "--console-socket",
                                               sock_path, container.id, "/run.sh"],
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        master, _ = receive_fd(listener)
        _, err = proc.communicate(timeout=60)
        os.close(master)
    assert proc.returncode == 255
    assert err.strip().splitlines() == ["ociruntime: exec /run.sh: No such file or directory"]
    assert pids_sharing_pid_ns(container.pid) == before


def test_env_names_appear_once_with_their_last_value_and_an_empty_home_is_filled(runtime, bundle):
    bundle.config["process"]["env"] = ["PATH=/bin", "HOME=", "ONE=one", "TWO=two", "ONE=three"]
    c = start_container(runtime, bundle, "sleep", "1000")
    try:
        with open(f"/proc/{c.pid}/environ") as f:
            assert f.read().split("\0")[:-1] == ["PATH=/bin", "HOME=/root", "ONE=three", "TWO=two"]
        proc = exec_in(runtime, "-e", "TWO=2", "-e", "TWO=22", "-u", "65534", c.id, "cat", "/proc/self/environ")
        assert proc.stdout.split("\0")[:-1] == ["PATH=/bin", "HOME=/", "ONE=three", "TWO=22"]
    finally:
        runtime("delete", "--force", c.id)


def test_exec_user_into_a_cwd_only_root_may_enter(runtime, bundle, container):
    os.mkdir(os.path.join(bundle.rootfs, "secret"), 0o700)
    proc = exec_in(runtime, "--user", "1000", "--cwd", "/secret", container.id, "sh", "-c", "pwd; ls . || echo denied")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["/secret", "denied"]
