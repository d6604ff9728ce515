"""process.*: what the container's process is, read from /proc inside it."""
import os

from ociruntime.linux import CAP_NUMBERS

from support import status_fields

from .conftest import output_of, run_in


def _mask(names):
    return sum(1 << CAP_NUMBERS[n] for n in names)


def test_args_cwd_and_env_are_exactly_the_configs(runtime, bundle):
    bundle.config["process"]["cwd"] = "/tmp"
    bundle.config["process"]["env"] = ["PATH=/bin", "A=1", "B=two words"]
    out = output_of(runtime, bundle, "sh", "-c", 'pwd; echo "$0|$1"; env', "zero", "one")
    lines = out.splitlines()
    assert lines[:2] == ["/tmp", "zero|one"]
    env = set(lines[2:]) - {"PWD=/tmp", "SHLVL=1"}  # set by the shell itself
    assert env == {"PATH=/bin", "A=1", "B=two words", "HOME=/root"}  # HOME: from /etc/passwd


def test_user_ids_and_additional_gids(runtime, bundle):
    bundle.config["process"]["user"] = {"uid": 1000, "gid": 1001, "additionalGids": [5, 7, 1001]}
    status = status_fields(output_of(runtime, bundle, "cat", "/proc/self/status"))
    assert status["Uid"].split() == ["1000"] * 4
    assert status["Gid"].split() == ["1001"] * 4
    assert sorted(map(int, status["Groups"].split())) == [5, 7, 1001]


def test_umask(runtime, bundle):
    bundle.config["process"]["user"]["umask"] = 0o027
    assert output_of(runtime, bundle, "sh", "-c", "umask").strip() == "0027"


def test_rlimits(runtime, bundle):
    bundle.config["process"]["rlimits"] = [
        {"type": "RLIMIT_NOFILE", "soft": 123, "hard": 456},
        {"type": "RLIMIT_NPROC", "soft": 77, "hard": 88},
        {"type": "RLIMIT_CORE", "soft": 0, "hard": 0},
    ]
    limits = output_of(runtime, bundle, "cat", "/proc/self/limits")
    rows = {line[:26].strip(): line[26:].split()[:2] for line in limits.splitlines()[1:]}
    assert rows["Max open files"] == ["123", "456"]
    assert rows["Max processes"] == ["77", "88"]
    assert rows["Max core file size"] == ["0", "0"]


def test_oom_score_adj(runtime, bundle):
    bundle.config["process"]["oomScoreAdj"] = 789
    assert output_of(runtime, bundle, "cat", "/proc/self/oom_score_adj").strip() == "789"


def test_no_new_privileges_on_and_off(runtime, bundle):
    bundle.config["process"]["noNewPrivileges"] = True
    assert status_fields(output_of(runtime, bundle, "cat", "/proc/self/status"))["NoNewPrivs"] == "1"
    bundle.config["process"]["noNewPrivileges"] = False
    assert status_fields(output_of(runtime, bundle, "cat", "/proc/self/status"))["NoNewPrivs"] == "0"


def test_five_capability_sets_of_a_non_root_user(runtime, bundle):
    """A non-root exec keeps only ambient caps in permitted/effective: every set shows."""
    a, b, c, d = "CAP_NET_BIND_SERVICE", "CAP_KILL", "CAP_CHOWN", "CAP_SYS_ADMIN"
    bundle.config["process"]["user"] = {"uid": 1000, "gid": 1000}
    bundle.config["process"]["capabilities"] = {
        "bounding": [a, b, c, d], "permitted": [a, b, c], "effective": [a, b, c],
        "inheritable": [a, b, c], "ambient": [a, b]}
    status = status_fields(output_of(runtime, bundle, "cat", "/proc/self/status"))
    got = {k: int(status[k], 16) for k in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb")}
    assert got == {"CapInh": _mask([a, b, c]), "CapPrm": _mask([a, b]), "CapEff": _mask([a, b]),
                   "CapBnd": _mask([a, b, c, d]), "CapAmb": _mask([a, b])}


def test_capabilities_of_root_with_no_new_privileges(runtime, bundle):
    """For root, exec grants the bounding set unless no_new_privs caps it at the old permitted."""
    bundle.config["process"]["noNewPrivileges"] = True
    bundle.config["process"]["capabilities"] = {
        "bounding": ["CAP_KILL", "CAP_CHOWN", "CAP_SETUID"], "permitted": ["CAP_KILL", "CAP_CHOWN"],
        "effective": ["CAP_KILL", "CAP_CHOWN"]}
    status = status_fields(output_of(runtime, bundle, "cat", "/proc/self/status"))
    assert int(status["CapBnd"], 16) == _mask(["CAP_KILL", "CAP_CHOWN", "CAP_SETUID"])
    assert int(status["CapPrm"], 16) == int(status["CapEff"], 16) == _mask(["CAP_KILL", "CAP_CHOWN"])
    assert int(status["CapInh"], 16) == int(status["CapAmb"], 16) == 0


def test_home_comes_from_etc_passwd_when_env_has_none(runtime, bundle):
    """runc sets HOME from the container's /etc/passwd if process.env lacks it."""
    bundle.config["process"]["user"] = {"uid": 65534, "gid": 65534}
    bundle.config["process"]["env"] = ["PATH=/bin"]
    assert output_of(runtime, bundle, "sh", "-c", 'echo "$HOME"').strip() == "/"
    bundle.config["process"]["env"] = ["PATH=/bin", "HOME=/elsewhere"]
    assert output_of(runtime, bundle, "sh", "-c", 'echo "$HOME"').strip() == "/elsewhere"


def test_executable_found_on_the_configs_path(runtime, bundle):
    bundle.config["process"]["env"] = ["PATH=/nowhere:/bin"]
    assert output_of(runtime, bundle, "echo", "found").strip() == "found"


def test_a_missing_cwd_is_created(runtime, bundle):
    bundle.config["process"]["cwd"] = "/work/deep/dir"
    assert output_of(runtime, bundle, "pwd").strip() == "/work/deep/dir"
    assert os.path.isdir(os.path.join(bundle.rootfs, "work/deep/dir"))


def test_cwd_only_root_may_enter_is_entered_before_the_user_switch(runtime, bundle):
    """runc changes directory while still root: a 0700 root directory works as cwd
    for another user, who then cannot list it."""
    os.mkdir(os.path.join(bundle.rootfs, "secret"), 0o700)
    bundle.config["process"]["user"] = {"uid": 1000, "gid": 1000}
    bundle.config["process"]["cwd"] = "/secret"
    proc = run_in(runtime, bundle, "sh", "-c", "pwd; id -u; ls . || echo denied", check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["/secret", "1000", "denied"]
