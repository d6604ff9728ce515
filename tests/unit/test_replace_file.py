"""StateDir's record writes (csrc/container.c oci_replace_file, an exchange with the old
record): the new record takes the name whole, and no temporary is left, whether or not
there was an old one."""
import errno
import os

from ociruntime import jsonio
from ociruntime._core import ffi, lib
from ociruntime.container.state import STATE_FILE, StateDir


def test_a_rewrite_leaves_only_the_new_record(tmp_path):
    c = StateDir.make(str(tmp_path), "x")
    try:
        c.state = {"id": "x", "n": 1}
        c.save()
        first = os.stat(STATE_FILE, dir_fd=c.dir_fd).st_ino
        c.state["n"] = 2
        c.save()
        assert os.stat(STATE_FILE, dir_fd=c.dir_fd).st_ino != first  # the new file, not a rewrite in place
        with open(os.path.join(c.dir, STATE_FILE), "rb") as f:
            assert jsonio.loads(f.read()) == {"id": "x", "n": 2}
        assert sorted(os.listdir(c.dir)) == [STATE_FILE]
    finally:
        c.remove()


def test_replace_renames_when_there_is_no_old_file_and_fails_without_a_temporary(tmp_path):
    fd = os.open(tmp_path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        (tmp_path / "new.tmp").write_text("new")
        assert lib.oci_replace_file(fd, b"new.tmp", b"new") == 0
        assert os.listdir(tmp_path) == ["new"] and (tmp_path / "new").read_text() == "new"
        assert lib.oci_replace_file(fd, b"absent.tmp", b"new") == -1 and ffi.errno == errno.ENOENT
        assert (tmp_path / "new").read_text() == "new"
    finally:
        os.close(fd)
