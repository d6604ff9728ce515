"""A read-only /dev, --no-pivot's masking of /proc, a device path with a trailing slash:
runc 1.1 runs all three; observed from inside the container."""
import pytest
from support import mounts_mentioning, new_id

from core.conftest import output_of, run_in


def test_a_read_only_dev_gets_its_mounts_and_nodes_first(runtime, bundle):
    for m in bundle.config["mounts"]:
        if m["destination"] == "/dev":
            m["options"].append("ro")
    out = output_of(runtime, bundle, "sh", "-c", "cat /proc/self/mountinfo; echo x > /dev/null && echo NULL-OK; "
                                                 "mkdir /dev/new 2>&1; true")
    points = {line.split()[4]: line.split()[5].split(",") for line in out.splitlines() if line[:1].isdigit()}
    assert {"/dev/pts", "/dev/shm", "/dev/mqueue"} <= set(points)     # their mount points were made in /dev
    assert points["/dev"][0] == "ro" and "NULL-OK" in out and "Read-only file system" in out


def test_no_pivot_hides_the_hosts_proc_from_a_nested_proc_mount(runtime, bundle):
    """With --no-pivot the host's mount tree stays above the chroot; its full /proc would
    let a nested user namespace mount an unmasked procfs (runc's no_pivot.bats test)."""
    caps = bundle.config["process"]["capabilities"]
    for kind in ("bounding", "permitted", "effective"):
        caps[kind].append("CAP_SETFCAP")      # to map root in the nested user namespace
    host_proc_mounts = len(mounts_mentioning(" - proc "))
    bundle.set_args("unshare", "-mrpf", "sh", "-c", "mount -t proc none /proc && echo MOUNTED")
    res = runtime("run", "--no-pivot", "--bundle", bundle.path, new_id(), check=False)
    assert "MOUNTED" not in res.stdout and "permission denied" in res.stderr
    assert len(mounts_mentioning(" - proc ")) == host_proc_mounts          # the host's own are untouched
    without = run_in(runtime, bundle, "unshare", "-mrpf", "sh", "-c", "mount -t proc none /proc && echo MOUNTED",
                     check=False)
    assert "permission denied" in without.stderr     # the same refusal as with pivot_root


@pytest.mark.parametrize("path", ["/dev/mnt/", "/dev/sub//mnt"])
def test_a_device_path_is_taken_cleaned(runtime, bundle, path):
    cleaned = "/dev/mnt" if path == "/dev/mnt/" else "/dev/sub/mnt"
    bundle.config["linux"]["devices"] = [{"path": path, "type": "c", "major": 1, "minor": 3, "fileMode": 0o666}]
    out = output_of(runtime, bundle, "stat", "-c", "%F %t:%T", cleaned)
    assert out == "character special file 1:3\n"
