"""Signal names, sizes, intervals, and the CLI's options turned into API arguments."""
import _signal as signal

import pytest

from ociruntime.cli.options import parse_bytes, parse_interval, process_from_flags, resources_from_flags
from ociruntime.container.signals import exit_code, parse_signal
from ociruntime.errors import ConfigError, InvalidArgument, RuntimeFailure
from ociruntime.spec.plan import apparmor_enabled


@pytest.mark.parametrize("text, number", [("SIGTERM", signal.SIGTERM), ("term", signal.SIGTERM), ("9", 9), ("0", 0),
                                          ("KILL", 9), ("RTMIN+3", signal.SIGRTMIN + 3),
                                          ("SIGRTMAX-1", signal.SIGRTMAX - 1)])
def test_parse_signal(text, number):
    assert parse_signal(text) == number


@pytest.mark.parametrize("text", ["SIGNOPE", "-1", "65", "", "SIG-1", "RTMIN+x"])
def test_bad_signals(text):
    with pytest.raises(InvalidArgument, match="invalid signal"):
        parse_signal(text)


def test_exit_codes_as_a_shell_reports_them():
    assert exit_code(3 << 8) == 3
    assert exit_code(signal.SIGKILL) == 137


@pytest.mark.parametrize("text, value", [("96m", 96 << 20), ("1g", 1 << 30), ("1024", 1024), ("-1", -1),
                                         ("2KB", 2048), ("1.5k", 1536)])
def test_parse_bytes(text, value):
    assert parse_bytes(text) == value


@pytest.mark.parametrize("text, seconds", [("5s", 5), ("500ms", 0.5), ("1m", 60), ("2", 2), ("1.5h", 5400)])
def test_parse_interval(text, seconds):
    assert parse_interval(text) == seconds


def test_bad_sizes_and_intervals():
    with pytest.raises(InvalidArgument, match="invalid size: 12q"):
        parse_bytes("12q")
    with pytest.raises(InvalidArgument, match="invalid interval: soon"):
        parse_interval("soon")


def test_update_flags_become_linux_resources():
    opts = {"resources": None, "memory": "96m", "cpu_quota": "5000", "cpuset_cpus": "0", "pids_limit": "9"}
    assert resources_from_flags(opts) == {"memory": {"limit": 96 << 20}, "cpu": {"quota": 5000, "cpus": "0"},
                                          "pids": {"limit": 9}}
    with pytest.raises(InvalidArgument, match="update: invalid value 'x' for --pids-limit"):
        resources_from_flags({"pids_limit": "x"})


def test_update_resources_file(tmp_path):
    path = tmp_path / "r.json"
    path.write_text('{"pids": {"limit": 5}}')
    assert resources_from_flags({"resources": str(path)}) == {"pids": {"limit": 5}}
    path.write_text("[1]")
    with pytest.raises(InvalidArgument, match="expected a JSON object"):
        resources_from_flags({"resources": str(path)})


EXEC_OPTS = dict(tty=False, env=[], cwd=None, user=None, additional_gids=[], cap=[], no_new_privs=False,
                 process_label=None, apparmor=None)


def test_exec_flags_change_the_containers_process():
    base = {"args": ["sh"], "env": ["PATH=/bin"], "cwd": "/", "user": {"uid": 0, "gid": 0, "umask": 18},
            "capabilities": {"bounding": ["CAP_KILL"], "effective": ["CAP_KILL"], "permitted": ["CAP_KILL"]}}
    opts = dict(EXEC_OPTS, tty=True, env=["A=1"], cwd="/tmp", user="5:6", additional_gids=["7"],
                cap=["CAP_CHOWN", "CAP_KILL"], no_new_privs=True)
    p = process_from_flags(base, ["id", "-u"], opts)
    assert p["args"] == ["id", "-u"] and p["terminal"] is True and p["env"] == ["PATH=/bin", "A=1"]
    assert p["cwd"] == "/tmp" and p["user"] == {"uid": 5, "gid": 6, "umask": 18, "additionalGids": [7]}
    assert p["capabilities"]["bounding"] == ["CAP_KILL", "CAP_CHOWN"] and p["noNewPrivileges"] is True
    assert base["env"] == ["PATH=/bin"] and base["capabilities"]["bounding"] == ["CAP_KILL"]  # not changed


def test_bad_exec_flags():
    with pytest.raises(InvalidArgument, match="--user root: expected uid"):
        process_from_flags({"args": ["sh"]}, ["id"], dict(EXEC_OPTS, user="root"))
    with pytest.raises(RuntimeFailure, match="^exec: SELinux is not enabled on this host$"):
        process_from_flags({"args": ["sh"]}, ["id"], dict(EXEC_OPTS, process_label="system_u:system_r:x"))


def test_exec_apparmor_flag_names_the_profile_or_says_apparmor_is_off():
    opts = dict(EXEC_OPTS, apparmor="oci-test")
    if apparmor_enabled():
        assert process_from_flags({"args": ["sh"]}, ["id"], opts)["apparmorProfile"] == "oci-test"
    else:
        with pytest.raises(RuntimeFailure, match="^exec: AppArmor is not enabled on this host$"):
            process_from_flags({"args": ["sh"]}, ["id"], opts)


def test_bad_process_file(tmp_path):
    from ociruntime.cli.options import load_process
    path = tmp_path / "p.json"
    path.write_text('{"args": []}')
    with pytest.raises(ConfigError, match=r"--process .*p.json: process.args: must be a non-empty array") as e:
        load_process(str(path))
    assert e.value.field == "process.args"
