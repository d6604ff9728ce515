"""The command-line parser (runc's urfave/cli conventions) and the command table."""
import re

import pytest

from ociruntime.cli.args import Flag, parse
from ociruntime.cli.main import COMMANDS
from ociruntime.errors import InvalidArgument, RuntimeFailure

FLAGS = [Flag("b,bundle", "bundle", True, "."), Flag("d,detach", "detach"), Flag("e,env", "env", True, []),
         Flag("preserve-fds", "preserve_fds", True, 0, int)]


@pytest.mark.parametrize("argv", [["-b", "/x", "id"], ["--bundle", "/x", "id"], ["--bundle=/x", "id"],
                                  ["-bundle", "/x", "id"], ["-b=/x", "id"]])
def test_flag_spellings(argv):
    opts, rest = parse(argv, FLAGS)
    assert opts["bundle"] == "/x" and rest == ["id"]


def test_defaults_booleans_lists_and_kinds():
    opts, rest = parse(["-d", "-e", "A=1", "--env=B=2", "--preserve-fds", "2", "id", "cmd"], FLAGS)
    assert (opts["detach"], opts["env"], opts["preserve_fds"], rest) == (True, ["A=1", "B=2"], 2, ["id", "cmd"])
    opts, _ = parse(["--detach=false", "id"], FLAGS)
    assert opts["detach"] is False and opts["bundle"] == "." and opts["env"] == []


def test_flags_stop_at_the_first_positional_and_at_double_dash():
    assert parse(["id", "-d", "--x"], FLAGS)[1] == ["id", "-d", "--x"]
    assert parse(["-d", "--", "-b", "id"], FLAGS) == ({"bundle": ".", "detach": True, "env": [],
                                                     "preserve_fds": 0, "help": False}, ["-b", "id"])


@pytest.mark.parametrize("argv, message", [
    (["--nope"], "flag provided but not defined: --nope (command)"),
    (["-b"], "flag needs an argument: -b"),
    (["--preserve-fds", "x"], "invalid value 'x' for flag --preserve-fds"),
])
def test_misuse_is_an_invalid_argument(argv, message):
    with pytest.raises(InvalidArgument, match=re.escape(message)) as caught:
        parse(argv, FLAGS)
    assert isinstance(caught.value, RuntimeFailure) and caught.value.exit_code == 1


def test_one_command_table_every_command_with_its_handler():
    assert {"create", "start", "run", "state", "kill", "delete", "list", "exec", "pause", "resume", "update",
            "ps", "events", "spec", "features", "network", "checkpoint", "restore"} == set(COMMANDS)
    for name, cmd in COMMANDS.items():
        assert cmd.handler.__name__ == f"cmd_{name}"
        assert f"{name} " in cmd.help_text("ociruntime")


def test_flags_after_the_arguments_as_runc_reorders_them():
    opts, rest = parse(["id", "-d", "--bundle", "/x", "sig", "--env=A=1"], FLAGS, flags_after_args=True)
    assert (opts["detach"], opts["bundle"], opts["env"], rest) == (True, "/x", ["A=1"], ["id", "sig"])
    # an unknown flag after an argument is an argument (runc then counts too many), `--` still ends flags
    assert parse(["id", "--nope", "--", "-d"], FLAGS, flags_after_args=True)[1] == ["id", "--nope", "-d"]
    with pytest.raises(InvalidArgument, match="flag provided but not defined: --nope"):
        parse(["--nope", "id"], FLAGS, flags_after_args=True)


def test_only_exec_ps_and_network_keep_what_follows_the_id_as_it_is():
    kept = {name for name, cmd in COMMANDS.items() if not cmd.flags_after_args}
    assert kept == {"exec", "ps", "network"}  # their trailing arguments are a program's (runc: SkipArgReorder)
