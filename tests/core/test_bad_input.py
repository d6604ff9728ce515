"""Bad input, one case each: exactly one clear line on stderr, an "error" line in the
JSON --log, a non-zero exit, and nothing left (state dir, mount, cgroup, process)."""
import json
import os

import pytest

from support import detached, leftovers, new_id

LATER_FIELD = "process.user.uid"


def fails_cleanly(runtime, bundle, *args, expect):
    rc, _, err = detached(runtime, *args)
    assert rc != 0
    assert err.count("\n") == 1 and err.endswith("\n"), err
    assert expect in err, err
    errors = [line for line in runtime.log_lines() if line["level"] == "error"]
    assert len(errors) == 1 and expect in errors[0]["msg"], runtime.log_lines()
    assert leftovers(runtime, bundle) == {}
    return err


def create(runtime, bundle, *extra):
    return ("create", "--bundle", bundle.path, *extra, new_id())


def test_no_bundle(runtime, bundle):
    fails_cleanly(runtime, bundle, "create", "--bundle", bundle.path + "-missing", new_id(),
                  expect="no such directory")


def test_no_config_json(runtime, bundle):
    os.unlink(os.path.join(bundle.path, "config.json"))
    fails_cleanly(runtime, bundle, *create(runtime, bundle), expect="config.json: not found")


def test_unreadable_config_json(runtime, bundle):
    path = os.path.join(bundle.path, "config.json")
    os.unlink(path)
    os.mkdir(path)
    fails_cleanly(runtime, bundle, *create(runtime, bundle), expect="cannot read")


def test_json_syntax_error(runtime, bundle):
    with open(os.path.join(bundle.path, "config.json"), "w") as f:
        f.write('{"ociVersion": "1.2.0",\n "process": }')
    fails_cleanly(runtime, bundle, *create(runtime, bundle), expect="invalid JSON at line 2")


def test_schema_violation_names_the_field(runtime, bundle):
    bundle.config["process"]["user"]["uid"] = "root"
    bundle.save()
    fails_cleanly(runtime, bundle, *create(runtime, bundle), expect=LATER_FIELD)


def test_unsupported_oci_version_major(runtime, bundle):
    bundle.config["ociVersion"] = "2.0.0"
    bundle.save()
    fails_cleanly(runtime, bundle, *create(runtime, bundle), expect="'2.0.0' is not supported")


def test_missing_rootfs(runtime, bundle):
    bundle.config["root"]["path"] = "no-such-rootfs"
    bundle.save()
    fails_cleanly(runtime, bundle, *create(runtime, bundle), expect="root.path")


def test_executable_not_found(runtime, bundle):
    bundle.set_args("no-such-program", "arg")
    fails_cleanly(runtime, bundle, *create(runtime, bundle),
                  expect='exec: "no-such-program": executable file not found in $PATH')


def test_executable_not_found_in_run(runtime, bundle):
    bundle.set_args("no-such-program")
    fails_cleanly(runtime, bundle, "run", "--bundle", bundle.path, new_id(),
                  expect='exec: "no-such-program": executable file not found in $PATH')


def test_missing_cwd_fails(runtime, bundle):
    bundle.config["process"]["cwd"] = "/etc/passwd/below-a-file"
    bundle.save()
    fails_cleanly(runtime, bundle, *create(runtime, bundle), expect="cwd")


def test_bind_source_missing(runtime, bundle):
    bundle.config["mounts"].append({"destination": "/data", "type": "bind", "source": "/no/such/source",
                                    "options": ["rbind"]})
    bundle.save()
    fails_cleanly(runtime, bundle, *create(runtime, bundle), expect="/no/such/source")


def test_joining_a_namespace_path_that_does_not_exist(runtime, bundle):
    bundle.config["linux"]["namespaces"] = [{"type": "mount"}, {"type": "network", "path": "/run/netns/none"}]
    del bundle.config["hostname"]
    bundle.save()
    fails_cleanly(runtime, bundle, *create(runtime, bundle), expect="/run/netns/none")


@pytest.mark.parametrize("kind", ["prestart", "createContainer"])
def test_hook_that_fails_or_times_out(runtime, bundle, tmp_path, kind):
    hook = tmp_path / "hook.sh"
    hook.write_text("#!/bin/sh\nsleep 5\n")
    hook.chmod(0o755)
    bundle.config["hooks"] = {kind: [{"path": str(hook), "timeout": 1}]}
    bundle.save()
    fails_cleanly(runtime, bundle, *create(runtime, bundle), expect="timed out")


def test_duplicate_id(runtime, bundle):
    cid = new_id()
    bundle.set_args("sleep", "100")
    assert detached(runtime, "create", "--bundle", bundle.path, cid)[0] == 0
    before = runtime.state(cid)
    rc, _, err = detached(runtime, "create", "--bundle", bundle.path, cid)
    assert rc != 0 and err.count("\n") == 1 and "exists" in err
    assert runtime.state(cid) == before
    runtime("delete", "--force", cid)


@pytest.mark.parametrize("command", ["state", "start", "kill", "delete"])
def test_unknown_id(runtime, bundle, command):
    fails_cleanly(runtime, bundle, command, "no-such-container", expect="does not exist")


def test_bad_signal_name(runtime, bundle):
    cid = new_id()
    bundle.set_args("sleep", "100")
    assert detached(runtime, "create", "--bundle", bundle.path, cid)[0] == 0
    rc, _, err = detached(runtime, "kill", cid, "SIGNOPE")
    assert rc != 0 and err.count("\n") == 1 and "SIGNOPE" in err
    assert json.loads(json.dumps(runtime.log_lines()[-1]))["level"] == "error"
    assert runtime.state(cid)["status"] == "created"
    runtime("delete", "--force", cid)


@pytest.mark.parametrize("field", ["process", "root"])
def test_a_linux_container_needs_process_and_root(runtime, bundle, field):
    del bundle.config[field]
    bundle.save()
    fails_cleanly(runtime, bundle, *create(runtime, bundle), expect=f"config.json: {field}: required")


def test_relative_cwd(runtime, bundle):
    bundle.config["process"]["cwd"] = "tmp"
    bundle.save()
    fails_cleanly(runtime, bundle, *create(runtime, bundle), expect="process.cwd: must be an absolute path")


@pytest.mark.parametrize("field, change", [
    ("process.args[1]", lambda proc: proc.update(args=["echo", "a\0b"])),
    ("process.env[0]", lambda proc: proc.update(env=["PATH=/bin\0/sbin"])),
    ("process.rlimits[1].type", lambda proc: proc.update(rlimits=[{"type": "RLIMIT_NOFILE", "soft": 64, "hard": 64},
                                                                   {"type": "RLIMIT_NOFILE", "soft": 99, "hard": 99}])),
])
def test_nul_bytes_and_duplicate_rlimits_are_refused(runtime, bundle, field, change):
    """A NUL would cut the C string short (runc refuses it in env); two rlimits of one
    type: the spec says MUST error (runc 1.1.5 has no such check: it fails later, in its
    init, on the second setrlimit, "operation not permitted")."""
    change(bundle.config["process"])
    bundle.save()
    err = fails_cleanly(runtime, bundle, *create(runtime, bundle), expect=f"config.json: {field}: ")
    assert "NUL byte" in err or "duplicate rlimit 'RLIMIT_NOFILE'" in err


@pytest.mark.parametrize("program, why", [("/bin/no-such-program", "No such file or directory"),
                                          ("/etc/passwd", "Permission denied")])
def test_program_by_path_that_cannot_run(runtime, bundle, program, why):
    bundle.set_args(program)
    fails_cleanly(runtime, bundle, *create(runtime, bundle), expect=f'exec: "{program}": {why}')


@pytest.mark.parametrize("field, value", [("maskedPaths", ["/proc/kcore"]), ("readonlyPaths", ["/proc/sys"]),
                                          ("rootfsPropagation", "private")])
def test_what_needs_a_mount_namespace_of_its_own(runtime, bundle, field, value):
    lin = bundle.config["linux"]
    lin["namespaces"] = [ns for ns in lin["namespaces"] if ns["type"] != "mount"]
    bundle.config["mounts"] = []
    for name in ("maskedPaths", "readonlyPaths"):
        lin.pop(name, None)
    lin[field] = value
    bundle.save()
    fails_cleanly(runtime, bundle, *create(runtime, bundle),
                  expect=f"linux.{field}: needs a mount namespace of the container's own")


def test_pid_file_in_a_missing_directory(runtime, bundle):
    pid_file = os.path.join(bundle.path, "no-such-dir", "init.pid")
    bundle.set_args("sleep", "100")
    fails_cleanly(runtime, bundle, *create(runtime, bundle, "--pid-file", pid_file),
                  expect=f"--pid-file {pid_file}: No such file or directory")


def test_full_disk_under_root_names_what_could_not_be_written(runtime, bundle):
    """A full filesystem under --root (a tmpfs filled to the last block): the error names
    the file the runtime could not write, not an internal OSError."""
    import subprocess
    os.makedirs(runtime.root)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", runtime.root], check=True)
    try:
        filler = os.path.join(runtime.root, "filler")
        with open(filler, "wb") as f:
            try:
                f.write(b"\0" * 65536)
            except OSError:
                pass
        rc, _, err = detached(runtime, *create(runtime, bundle))
        assert rc != 0
        assert err.count("\n") == 1, err
        assert "internal error" not in err and "No space left on device" in err, err
        # the first record create writes is recovery.json, then state.json (container/state.py)
        assert f"cannot write {runtime.root}/" in err and ("state.json" in err or "recovery.json" in err), err
        os.unlink(filler)
        assert leftovers(runtime, bundle) == {}
    finally:
        subprocess.run(["umount", runtime.root], check=True)
