"""--debug, --log and --log-format as runc has them: level=debug lines in the log (or on
stderr without one) in its format; an unknown format or an unusable log refused first."""
import json
import os
import re
import subprocess

import pytest
from support import leftovers, new_id

TEXT_LINE = re.compile(r'time="[^"]+" level=(\w+) msg="(.*)"')


def ociruntime(runtime, *args):
    return subprocess.run(runtime.cmd + ["--root", runtime.root, *args], capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=60)


def test_debug_lines_in_a_text_log(runtime, bundle, tmp_path):
    log = tmp_path / "debug.log"
    cid = new_id()
    res = ociruntime(runtime, "--debug", "--log", str(log), "run", "--bundle", bundle.path, cid)
    assert res.returncode == 0 and res.stderr == ""
    lines = [TEXT_LINE.fullmatch(line).groups() for line in log.read_text().splitlines()]
    assert {level for level, _ in lines} == {"debug"}
    messages = [msg for _, msg in lines]
    assert messages[0].endswith(f"run --bundle {bundle.path} {cid} (root {runtime.root})")
    assert {f"run {cid}: cgroup", f"run {cid}: clone", f"run {cid}: started", f"run {cid}: deleted"} <= set(messages)
    assert messages[-1] == "run: exit status 0"


def test_debug_lines_in_a_json_log_and_on_stderr_without_one(runtime, tmp_path):
    log = tmp_path / "debug.json"
    res = ociruntime(runtime, "--debug", "--log", str(log), "--log-format", "json", "state", "nope")
    records = [json.loads(line) for line in log.read_text().splitlines()]
    assert [r["level"] for r in records] == ["debug", "error"] and records[1]["msg"] == "container nope does not exist"
    assert res.returncode == 1 and res.stderr == "ociruntime: container nope does not exist\n"
    res = ociruntime(runtime, "--debug", "list")
    assert res.returncode == 0 and [TEXT_LINE.fullmatch(line).group(1) for line in res.stderr.splitlines()] == [
        "debug", "debug"]


def test_no_debug_lines_without_debug(runtime, tmp_path):
    log = tmp_path / "quiet.log"
    assert ociruntime(runtime, "--log", str(log), "list").returncode == 0
    assert log.read_text() == ""


@pytest.mark.parametrize("flags, message", [
    (["--log-format", "bogus"], "ociruntime: invalid log-format: bogus\n"),
    (["--log", "/nonexistent-dir/x.log"], "ociruntime: open /nonexistent-dir/x.log: No such file or directory\n"),
])
def test_unusable_log_settings_are_refused_before_anything_is_done(runtime, bundle, flags, message):
    res = ociruntime(runtime, *flags, "run", "--detach", "--bundle", bundle.path, new_id())
    assert (res.returncode, res.stderr) == (1, message)
    assert not os.path.exists("/nonexistent-dir") and leftovers(runtime, bundle) == {}
