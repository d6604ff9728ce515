"""process.apparmorProfile, observed from inside the container (its /proc/self/attr) and
by what the kernel then refuses it. AppArmor is on in the VM's kernel (tests/vm/run_v2.sh
runs these: marker cgroupv2), not on this machine's: there only the refusal runs."""
import json
import subprocess

import pytest

from support import exec_in, leftovers, new_id, start_container
from ociruntime.spec.plan import apparmor_enabled
from support.apparmor import loaded_profiles

# allows everything but reading /etc/group: enforced, so the denial shows it is applied
ENFORCED = "oci-test-enforced"
PROFILES = (f"profile {ENFORCED} flags=(attach_disconnected,mediate_deleted) {{\n"
            "  file,\n  capability,\n  network,\n  signal,\n  ptrace,\n  unix,\n  mount,\n  umount,\n  pivot_root,\n"
            "  deny /etc/group r,\n}\n"
            "profile oci-test-other flags=(attach_disconnected,mediate_deleted,complain) {\n}\n")


@pytest.fixture
def profiles(tmp_path):
    with loaded_profiles(PROFILES, str(tmp_path)):
        yield


def run(runtime, bundle, *args):
    bundle.set_args(*args)
    return runtime("run", "--bundle", bundle.path, new_id("aa"), check=False, stdin=subprocess.DEVNULL)


@pytest.mark.cgroupv2
def test_the_program_runs_in_the_profile_and_the_kernel_enforces_it(runtime, bundle, profiles,
                                                                     remove_test_cgroup_parents):
    bundle.config["process"]["apparmorProfile"] = ENFORCED
    out = run(runtime, bundle, "sh", "-c", "cat /proc/self/attr/current; cat /etc/passwd >/dev/null && echo passwd; "
              "cat /etc/group 2>&1")
    lines = out.stdout.splitlines()
    assert lines[0] == f"{ENFORCED} (enforce)", out
    assert lines[1] == "passwd" and "Permission denied" in lines[2], out
    # without the profile the same read works: the denial is the profile's
    del bundle.config["process"]["apparmorProfile"]
    out = run(runtime, bundle, "sh", "-c", "cat /proc/self/attr/current; cat /etc/group >/dev/null && echo group")
    assert out.stdout.split() == ["unconfined", "group"], out


@pytest.mark.cgroupv2
def test_exec_gets_the_containers_profile_or_its_own(runtime, bundle, profiles, tmp_path, remove_test_cgroup_parents):
    bundle.config["process"]["apparmorProfile"] = ENFORCED
    c = start_container(runtime, bundle, "sleep", "1000")
    try:
        with open(f"/proc/{c.pid}/attr/current") as f:
            assert f.read().strip() == f"{ENFORCED} (enforce)"  # the init, seen from the host
        assert exec_in(runtime, c.id, "cat", "/proc/self/attr/current").stdout.strip() == f"{ENFORCED} (enforce)"
        other = exec_in(runtime, "--apparmor", "oci-test-other", c.id, "cat", "/proc/self/attr/current")
        assert other.stdout.strip() == "oci-test-other (complain)", other
        process = tmp_path / "process.json"  # as Docker's exec: a process without a profile gets the container's
        process.write_text(json.dumps({"args": ["cat", "/proc/self/attr/current"], "cwd": "/", "env": ["PATH=/bin"]}))
        assert exec_in(runtime, "--process", str(process), c.id).stdout.strip() == f"{ENFORCED} (enforce)"
    finally:
        runtime("delete", "--force", c.id)


def refused_create(runtime, bundle, profile):
    """`create` with this profile: must fail with one line, a JSON error in the log and
    nothing left; returns the line."""
    bundle.config["process"]["apparmorProfile"] = profile
    bundle.save()
    out = runtime("create", "--bundle", bundle.path, new_id("aa"), check=False, stdin=subprocess.DEVNULL)
    assert out.returncode != 0 and len(out.stderr.strip().splitlines()) == 1, out
    assert runtime.log_lines()[-1]["level"] == "error"
    assert leftovers(runtime, bundle) == {}
    return out.stderr.strip()


@pytest.mark.cgroupv2
def test_an_unknown_profile_fails_create_and_leaves_nothing(runtime, bundle, profiles, remove_test_cgroup_parents):
    assert refused_create(runtime, bundle, "oci-test-not-loaded") == (
        "ociruntime: config.json: process.apparmorProfile: AppArmor profile 'oci-test-not-loaded' is not loaded")


@pytest.mark.cgroupv2
def test_a_proc_that_is_not_procfs_is_refused(runtime, bundle, profiles, tmp_path, remove_test_cgroup_parents):
    """CVE-2019-16884: a rootfs whose /proc is ordinary files would take the profile's write
    and leave the process unconfined; the init checks the file is on procfs."""
    fake = tmp_path / "fakeproc"
    (fake / "self" / "attr" / "apparmor").mkdir(parents=True)
    attr = fake / "self" / "attr" / "apparmor" / "exec"
    attr.write_text("")
    lin = bundle.config["linux"]
    lin["maskedPaths"], lin["readonlyPaths"] = [], []
    bundle.config["mounts"] = [m for m in bundle.config["mounts"] if m["destination"] != "/proc"] + [
        {"destination": "/proc", "type": "bind", "source": str(fake), "options": ["rbind"]}]
    bundle.config["process"]["apparmorProfile"] = ENFORCED
    out = run(runtime, bundle, "cat", "/etc/group")
    assert out.returncode != 0 and "is not on procfs" in out.stderr, out
    assert attr.read_text() == ""
    assert leftovers(runtime, bundle) == {}


@pytest.mark.skipif(apparmor_enabled(), reason="AppArmor is on here")
def test_a_profile_where_apparmor_is_off_is_one_clear_error(runtime, bundle, remove_test_cgroup_parents):
    assert refused_create(runtime, bundle, "docker-default") == (
        "ociruntime: config.json: process.apparmorProfile: AppArmor is not enabled on this host")
