"""The cgroup file writers and readers against a temp directory (no cgroupfs): every
write names the OCI field it comes from, and a refused write is a CgroupError."""
import pytest

from ociruntime.cgroups import files
from ociruntime.cgroups.v2 import memory, pids
from ociruntime.errors import CgroupError, RuntimeFailure


def test_write_read_and_the_error_names_the_field(tmp_path):
    (tmp_path / "pids.max").write_text("")
    files.write(str(tmp_path), "pids.max", 12, "linux.resources.pids.limit")
    assert files.read(str(tmp_path), "pids.max") == "12"
    with pytest.raises(CgroupError, match=r"^linux.resources.memory.limit: cannot write '5' to memory.max: ") as e:
        files.write(str(tmp_path / "absent"), "memory.max", 5, "linux.resources.memory.limit")
    assert isinstance(e.value, RuntimeFailure)


def test_readers(tmp_path):
    (tmp_path / "memory.max").write_text("max\n")
    (tmp_path / "memory.stat").write_text("anon 4096\nfile 8192\nbogus x\n")
    assert files.read_uint(str(tmp_path), "memory.max") == files.MAX_UINT64
    assert files.read_uint(str(tmp_path), "absent") == 0
    assert files.read_keyed(str(tmp_path), "memory.stat") == {"anon": 4096, "file": 8192}


def test_v2_writers(tmp_path):
    for name in ("pids.max", "memory.max", "memory.low", "memory.swap.max"):
        (tmp_path / name).write_text("")
    pids.apply(str(tmp_path), {"pids": {"limit": -1}})
    memory.apply(str(tmp_path), {"memory": {"limit": 1 << 20, "swap": 3 << 20, "reservation": 1 << 19}})
    read = lambda name: (tmp_path / name).read_text()
    assert (read("pids.max"), read("memory.max"), read("memory.low"), read("memory.swap.max")) == (
        "max", str(1 << 20), str(1 << 19), str(2 << 20))  # OCI swap is memory+swap; v2's is swap alone


def test_make_and_remove_tree(tmp_path):
    top = tmp_path / "a"
    created = files.make_dirs(str(top / "b" / "c"))
    assert [p[len(str(tmp_path)):] for p in created] == ["/a", "/a/b", "/a/b/c"]
    files.remove_tree(str(top))
    assert not top.exists()
