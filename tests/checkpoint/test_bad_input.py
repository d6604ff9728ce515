"""checkpoint/restore refusing bad input on the host, where no working CRIU is needed
(this host's kernel fails CRIU's vDSO check, which the CRIU-failure cases use): one
clear line, exit != 0, nothing left (no state dir, cgroup, process, mount, image)."""
import os
import shutil
import subprocess

import pytest

from support import mounts_mentioning, own_cgroup_dirs, cgroup_path, wait_for

CRIU = shutil.which("criu") or "/usr/sbin/criu"


def failed(proc):
    assert proc.returncode != 0 and proc.stdout == "", proc
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    return lines[0]


def nothing_left(runtime, bundle, cid):
    assert cid not in (os.listdir(runtime.root) if os.path.isdir(runtime.root) else [])
    assert [d for d in own_cgroup_dirs(cgroup_path(bundle)) if os.path.exists(d)] == []  # the container's cgroup
    assert mounts_mentioning("criu-root") == []


def still_running(runtime, c):
    assert runtime.state(c.id)["status"] == "running" and os.path.exists(f"/proc/{c.pid}")


def fake_image(tmp_path):
    """A directory that looks like a CRIU dump (an inventory.img) but is not one."""
    img = tmp_path / "img"
    img.mkdir()
    (img / "inventory.img").write_bytes(b"\0" * 16)
    return str(img)


def test_checkpoint_without_criu_leaves_the_container_running(runtime, container, tmp_path):
    img = tmp_path / "img"
    error = failed(runtime("--criu", str(tmp_path / "no-criu"), "checkpoint", "--image-path", str(img), container.id,
                           check=False))
    assert "criu binary" in error and "not found" in error
    assert not img.exists()
    still_running(runtime, container)


def test_restore_without_criu(runtime, bundle, tmp_path):
    error = failed(runtime("--criu", "/bogus/criu", "restore", "-d", "--image-path", fake_image(tmp_path),
                           "--bundle", bundle.path, "r1", check=False, stdin=subprocess.DEVNULL))
    assert "/bogus/criu" in error and "not found" in error
    nothing_left(runtime, bundle, "r1")


@pytest.mark.parametrize("make, message", [
    (lambda tmp: str(tmp / "missing"), "no such directory"),
    (lambda tmp: str(tmp), "not a CRIU checkpoint"),
])
def test_restore_from_no_image(runtime, bundle, tmp_path, make, message):
    error = failed(runtime("--criu", CRIU, "restore", "-d", "--image-path", make(tmp_path), "--bundle", bundle.path,
                           "r2", check=False, stdin=subprocess.DEVNULL))
    assert message in error
    nothing_left(runtime, bundle, "r2")


def test_restore_into_an_existing_id_leaves_that_container_alone(runtime, bundle, container, tmp_path):
    error = failed(runtime("--criu", CRIU, "restore", "-d", "--image-path", fake_image(tmp_path), "--bundle",
                           bundle.path, container.id, check=False, stdin=subprocess.DEVNULL))
    assert f"container with id exists: {container.id}" in error
    still_running(runtime, container)


def test_checkpoint_of_a_container_that_is_not_running(runtime, bundle, tmp_path):
    from support import start_container
    created = start_container(runtime, bundle, "sleep", "100", create_only=True)
    error = failed(runtime("--criu", CRIU, "checkpoint", "--image-path", str(tmp_path / "img"), created.id,
                           check=False))
    assert "cannot be checkpointed in created state" in error
    assert runtime.state(created.id)["status"] == "created"
    runtime("delete", "--force", created.id)
    error = failed(runtime("checkpoint", "--image-path", str(tmp_path / "img"), "nope", check=False))
    assert error.endswith("container nope does not exist")


def test_bad_flags_are_refused_before_anything(runtime, container, tmp_path):
    for args, message in [(["--manage-cgroups-mode", "loose"], "invalid --manage-cgroups-mode"),
                          (["--parent-path", "/abs"], "--parent-path must be relative"),
                          (["--page-server", "x"], "ADDRESS:PORT"),
                          (["--empty-ns", "ipc"], "only network")]:
        error = failed(runtime("checkpoint", "--image-path", str(tmp_path / "img"), *args, container.id, check=False))
        assert message in error
    still_running(runtime, container)


@pytest.mark.skipif(not os.access(CRIU, os.X_OK), reason="no criu installed")
def test_a_criu_failure_on_checkpoint_quotes_its_log(runtime, container, tmp_path):
    """CRIU fails here (vDSO): the error quotes its log, the container runs on, unfrozen."""
    img = tmp_path / "img"
    error = failed(runtime("--criu", CRIU, "checkpoint", "--image-path", str(img), container.id, check=False))
    print(error)
    assert "criu DUMP failed" in error or "criu exited" in error
    assert "Error (" in error and str(img / "dump.log") in error
    still_running(runtime, container)
    wait_for(lambda: runtime.state(container.id)["status"] == "running", what="container not frozen")


@pytest.mark.skipif(not os.access(CRIU, os.X_OK), reason="no criu installed")
def test_a_criu_failure_on_restore_leaves_nothing(runtime, bundle, tmp_path, remove_test_cgroup_parents):
    bundle.set_args("sleep", "100")
    error = failed(runtime("--criu", CRIU, "restore", "-d", "--image-path", fake_image(tmp_path),
                           "--work-path", str(tmp_path / "work"), "--bundle", bundle.path, "r3", check=False,
                           stdin=subprocess.DEVNULL))
    print(error)
    assert "criu RESTORE failed" in error or "criu exited" in error
    assert str(tmp_path / "work" / "restore.log") in error
    nothing_left(runtime, bundle, "r3")


def test_podman_s_probe_for_restore_into_a_pod(runtime):
    """podman restores into a pod only with a runtime whose `restore --lsm-mount-context`
    (no value) says "flag needs an argument" (crutils.CRRuntimeSupportsPodCheckpointRestore)."""
    proc = runtime("restore", "--lsm-mount-context", check=False)
    assert proc.returncode != 0 and "flag needs an argument" in proc.stderr


def test_restore_with_a_bad_lsm_profile(runtime, bundle, tmp_path):
    error = failed(runtime("restore", "-d", "--lsm-profile", "unconfined", "--image-path", fake_image(tmp_path),
                           "--bundle", bundle.path, "r1", check=False, stdin=subprocess.DEVNULL))
    assert "invalid --lsm-profile 'unconfined'" in error
    nothing_left(runtime, bundle, "r1")
