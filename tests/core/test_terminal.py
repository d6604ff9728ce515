"""process.terminal: the pty master arrives over --console-socket (SCM_RIGHTS) and the
process sees the slave as its controlling terminal, with consoleSize applied."""
import os
import socket

from support import read_pty, receive_fd

from support import detached, new_id


def test_pty_through_the_console_socket(runtime, bundle, tmp_path):
    bundle.config["process"]["terminal"] = True
    bundle.config["process"]["consoleSize"] = {"height": 33, "width": 111}
    bundle.set_args("sh", "-c", "tty; stty size; ls -l /proc/self/fd/0 | grep -o 'pts/0'")
    path = str(tmp_path / "console.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listener:
        listener.bind(path)
        listener.listen(1)
        cid = new_id()
        rc, _, err = detached(runtime, "create", "--bundle", bundle.path, "--console-socket", path, cid)
        assert rc == 0, err
        master, name = receive_fd(listener)
    try:
        assert name.startswith("/dev/pts/")
        runtime("start", cid)
        out = read_pty(master)
    finally:
        os.close(master)
    assert out.replace("\r\n", "\n").split("\n")[:3] == ["/dev/pts/0", "33 111", "pts/0"]
    runtime("delete", "--force", cid)


def test_terminal_without_console_socket_is_refused(runtime, bundle):
    bundle.config["process"]["terminal"] = True
    bundle.save()
    rc, _, err = detached(runtime, "create", "--bundle", bundle.path, new_id())
    assert rc != 0 and "console socket" in err and err.count("\n") == 1
