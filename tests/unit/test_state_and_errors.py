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


def _dir_with(tmp_path, **files):
    os.makedirs(tmp_path / "x")
    for name, content in files.items():
        (tmp_path / "x" / name.replace("_", ".")).write_text(content)
    return str(tmp_path)


def test_removal_uses_recovery_json_when_state_json_is_damaged(tmp_path):
    root = _dir_with(tmp_path, state_json="{trunc", recovery_json='{"cgroup": {"version": 2, "path": "/c"}, "pid": 7}')
    c = StateDir.load_for_removal(root, "x")
    try:
        assert c.state == {"cgroup": {"version": 2, "path": "/c"}, "pid": 7}
        assert isinstance(c.damaged, errors.StateDamaged) and c.damaged.why == "corrupt"
    finally:
        c.close()


@pytest.mark.parametrize("files", [{}, {"start_sock": ""}, {"state_json_tmp": "{cut"}])
def test_a_dir_without_records_holds_nothing(tmp_path, files):
    """recovery.json is written before anything is made, state.json after it; state.json
    is removed first, recovery.json last."""
    c = StateDir.load_for_removal(_dir_with(tmp_path, **files), "x")
    try:
        assert c.state == {} and c.damaged is not None
    finally:
        c.close()


@pytest.mark.parametrize("recovery, why", [("[]", "recovery.json is corrupt"), (None, "there is no recovery.json")])
def test_both_records_damaged_is_unknown_and_says_so(tmp_path, recovery, why):
    root = _dir_with(tmp_path, state_json="", **({"recovery_json": recovery} if recovery else {}))
    with pytest.raises(errors.StateDamaged, match=f"state is corrupt, and {why}: what the container "
                                                  "holds is unknown; its state dir .* is kept"):
        StateDir.load_for_removal(root, "x")


def test_save_writes_recovery_fields_and_remove_takes_everything(tmp_path):
    import json
    c = StateDir.make(str(tmp_path), "x")
    c.state = {"id": "x", "config": {}, "creating": True, "cgroup": {"version": 2, "path": "/c"}}
    c.save(recovery=True)
    assert c.status() == "creating"
    c.state.update(pid=5, init_start_time=9)
    c.save()
    assert json.loads((tmp_path / "x" / "recovery.json").read_text()) == {"cgroup": {"version": 2, "path": "/c"}}
    assert json.loads((tmp_path / "x" / "state.json").read_text())["pid"] == 5
    (tmp_path / "x" / "state.json.tmp").write_text("{cut short")
    c.remove()
    assert list_ids(str(tmp_path)) == []
