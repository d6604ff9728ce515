"""Hostile input to the front door: damaged, huge or odd state.json files, a state dir
that is a symlink, very long ids and paths. Each gives one clear line and exit 1,
and the same line from the front door as from the Python layer; what the front door
does not read itself it hands over (c_only shows it did)."""
import json
import os

import pytest

from .conftest import HANDED_OVER

CID = "hostile"
COMMANDS = (["state", CID], ["start", CID], ["kill", CID, "KILL"], ["delete", CID], ["delete", "--force", CID])
SERVED = COMMANDS[:3]  # a damaged state at `delete` is the Python layer's to clean up


def a_state(**changes):
    """A stopped container's state as create writes it (its init long gone)."""
    state = {"id": CID, "bundle": "/nonexistent", "rootfs": "/nonexistent/rootfs",
             "created": "2026-01-01T00:00:00.000000000Z", "annotations": {}, "config": {"ociVersion": "1.2.0"},
             "pid": 2 ** 22 + 1, "init_start_time": 1}
    state.update(changes)
    return json.dumps(state)


def write_state(root, data, cid=CID):
    os.makedirs(os.path.join(root, cid), exist_ok=True)
    with open(os.path.join(root, cid, "state.json"), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def same_error(c_only, python_layer, args, expected):
    by_c, by_py = c_only(*args, check=False), python_layer(*args, check=False)
    assert (by_c.returncode, by_c.stdout, by_c.stderr) == (by_py.returncode, by_py.stdout, by_py.stderr)
    assert (by_c.returncode, by_c.stderr) == (1, f"ociruntime: {expected}\n")


def damaged_state_errors(runtime, c_only, python_layer, expected, restore):
    """state/start/kill: the front door's own error, as Python's; delete: handed over
    untouched, and the installed command then does what the Python layer does (restore
    puts the damaged state back between calls)."""
    for args in SERVED:
        same_error(c_only, python_layer, args, expected)
    for args in COMMANDS[3:]:
        refused = c_only(*args, check=False)
        assert refused.returncode == 1 and HANDED_OVER in refused.stderr
        assert os.path.isdir(os.path.join(runtime.root, CID))
        by_cmd = runtime(*args, check=False)
        restore()
        by_py = python_layer(*args, check=False)
        restore()
        assert (by_cmd.returncode, by_cmd.stderr) == (by_py.returncode, by_py.stderr)


def cleanup(root, cid=CID):
    path = os.path.join(root, cid)
    if os.path.islink(path):
        os.unlink(path)
    elif os.path.isdir(path):
        for name in os.listdir(path):
            os.unlink(os.path.join(path, name))
        os.rmdir(path)


def test_a_well_formed_stopped_state_is_served(runtime, c_only, python_layer):
    write_state(runtime.root, a_state())
    assert c_only("state", CID).stdout == python_layer("state", CID).stdout
    assert json.loads(c_only("state", CID).stdout)["status"] == "stopped"
    c_only("delete", CID)
    assert not os.path.exists(os.path.join(runtime.root, CID))


@pytest.mark.parametrize("damage", ["truncated", "empty", "not an object", "no config", "not UTF-8", "NUL byte",
                                    "trailing garbage", "bad escape"])
def test_damaged_state_json(runtime, c_only, python_layer, damage):
    text = a_state().encode()
    data = {"truncated": text[:len(text) // 2], "empty": b"", "not an object": b"[1, 2]",
            "no config": json.dumps({"id": CID, "pid": 1}).encode(), "not UTF-8": text.replace(b"/nonexistent", b"/\xff"),
            "NUL byte": text[:10] + b"\0" + text[10:], "trailing garbage": text + b" }",
            "bad escape": text.replace(b"/nonexistent", b"/\\x41")}[damage]
    write_state(runtime.root, data)
    damaged_state_errors(runtime, c_only, python_layer, f"container {CID}: state is corrupt",
                         lambda: write_state(runtime.root, data))
    cleanup(runtime.root)


def test_missing_state_json(runtime, c_only, python_layer):
    os.makedirs(os.path.join(runtime.root, CID))
    damaged_state_errors(runtime, c_only, python_layer, f"container {CID}: state is missing (no state.json)",
                         lambda: os.makedirs(os.path.join(runtime.root, CID), exist_ok=True))
    cleanup(runtime.root)


def test_huge_state_json(runtime, c_only, python_layer):
    from ociruntime.container.state import STATE_MAX
    write_state(runtime.root, a_state(annotations={"big": "x" * STATE_MAX}))
    same_error(c_only, python_layer, ["state", CID], f"container {CID}: state is too large (over {STATE_MAX} bytes)")
    cleanup(runtime.root)


def test_state_dir_that_is_a_symlink(runtime, c_only, python_layer, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "state.json").write_text(a_state())
    os.makedirs(runtime.root, exist_ok=True)
    os.symlink(elsewhere, os.path.join(runtime.root, CID))
    for args in COMMANDS:
        same_error(c_only, python_layer, args, f"container {CID}: state is not a directory (a symlink)")
    assert (elsewhere / "state.json").exists()
    cleanup(runtime.root)


def test_very_long_ids_and_paths(runtime, c_only, python_layer, tmp_path):
    long_id = "x" * 100_000
    for args in (["state", long_id], ["kill", long_id], ["delete", "--force", long_id]):
        same_error(c_only, python_layer, args, "container id is longer than 255 bytes")
    same_error(c_only, python_layer, ["state", "a/../b"], "invalid container id format: a/../b")
    deep_root = str(tmp_path / "/".join(["d" * 200] * 25))
    for variant in (c_only, python_layer):
        by = variant("--root", deep_root, "state", CID, check=False)
        assert (by.returncode, by.stderr) == (1, f"ociruntime: container {CID}: state is unreachable: File name too long\n")


@pytest.mark.parametrize("unknown", [{"creating": True}, {"status": "creating"}, {"pid": 0},
                                     {"cgroup": {"driver": "systemd", "unit": "x.scope"}},
                                     {"config": {"x": json.loads("[" * 600 + "]" * 600)}}])
def test_what_the_front_door_does_not_know_is_handed_over(runtime, c_only, python_layer, unknown):
    write_state(runtime.root, a_state(**unknown))
    refused = c_only("state", CID, check=False)
    assert refused.returncode == 1 and HANDED_OVER in refused.stderr
    python_layer("state", CID, check=False)  # whatever it says, it is the Python layer's to say
    cleanup(runtime.root)


def test_a_systemd_record_is_served_but_its_delete_handed_over(runtime, c_only, python_layer):
    """The systemd driver's record (cgroups/systemd): status and signals are cgroupfs v2's;
    stopping its unit is the Python layer's."""
    write_state(runtime.root, a_state(cgroup={"version": 2, "driver": "systemd", "path": "/sys/fs/cgroup/x.slice/y.scope",
                                              "mountpoint": "/sys/fs/cgroup", "unit": "y.scope"}))
    assert c_only("state", CID).stdout == python_layer("state", CID).stdout
    refused = c_only("delete", CID, check=False)
    assert refused.returncode == 1 and HANDED_OVER in refused.stderr
    cleanup(runtime.root)
