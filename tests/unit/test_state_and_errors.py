"""State directories and the typed errors: absent is NotFound, a damaged or unreadable
state is StateDamaged (never NotFound), a taken id AlreadyExists."""
import os

import pytest

import ociruntime
from ociruntime import errors
from ociruntime.container.state import StateDir, check_id, list_ids


@pytest.mark.parametrize("cid", ["", ".", "..", "a/b", "a b", "é", "a\n"])
def test_bad_ids(cid):
    with pytest.raises(errors.InvalidArgument):
        check_id(cid)


def test_good_ids():
    for cid in ("a", "A-b_c.d+e", "0" * 100):
        check_id(cid)


def test_make_load_and_their_errors(tmp_path):
    root = str(tmp_path)
    with pytest.raises(errors.NotFound, match="container x does not exist") as nf:
        StateDir.load(root, "x")
    assert nf.value.container_id == "x"
    c = StateDir.make(root, "x")
    c.state = {"id": "x", "config": {}}
    c.save()
    c.close()
    with pytest.raises(errors.AlreadyExists, match="container with id exists: x"):
        StateDir.make(root, "x")
    assert StateDir.load(root, "x", locked=False).state == {"id": "x", "config": {}}
    assert list_ids(root) == ["x"]


@pytest.mark.parametrize("content, why", [(b"{not json", "corrupt"), (b"[1]", "corrupt"), (None, "missing")])
def test_damaged_state_is_not_not_found(tmp_path, content, why):
    os.makedirs(tmp_path / "x")
    if content is not None:
        (tmp_path / "x" / "state.json").write_bytes(content)
    with pytest.raises(errors.StateDamaged, match=f"container x: state is {why}") as caught:
        StateDir.load(str(tmp_path), "x")
    assert not isinstance(caught.value, errors.NotFound)


def test_hierarchy_and_messages():
    kinds = [errors.InvalidArgument("m"), errors.NotFound("x"), errors.AlreadyExists("x"),
             errors.StateDamaged("x", "corrupt"), errors.WrongState("m", "running"), errors.ConfigError("f", "m"),
             errors.CgroupError("m"), errors.SpawnError("m"), errors.HookError("prestart", 0, "m")]
    assert all(isinstance(e, errors.RuntimeFailure) and e.exit_code == 1 for e in kinds)
    assert str(errors.ConfigError("process.args", "empty")) == "config.json: process.args: empty"
    assert str(errors.ConfigError("", "bad", source="/b/config.json")) == "/b/config.json: bad"
    assert errors.WrongState("m", "paused").status == "paused"
    assert ociruntime.NotFound is errors.NotFound and ociruntime.ConfigError is errors.ConfigError


def test_the_api_is_loaded_lazily():
    import subprocess
    import sys
    code = ("import sys, ociruntime; before = 'ociruntime.api' in sys.modules; ociruntime.Runtime; "
            "print(before, 'ociruntime.api' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "True"]
