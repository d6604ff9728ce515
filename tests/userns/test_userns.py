"""linux.uidMappings/gidMappings with a new user namespace, started by root: ids
inside map to the configured host range, as the host's /proc and stat show."""
import os
import subprocess

import pytest

from support import exec_in, start_container

HOST_BASE = 300000


def with_user_namespace(bundle, uid_maps=None, gid_maps=None):
    lin = bundle.config["linux"]
    lin["namespaces"].append({"type": "user"})
    lin["uidMappings"] = uid_maps or [{"containerID": 0, "hostID": HOST_BASE, "size": 65536}]
    lin["gidMappings"] = gid_maps or [{"containerID": 0, "hostID": HOST_BASE, "size": 65536}]
    bundle.save()


@pytest.fixture
def volume(open_bundle):
    """A host directory bound read-write at /data, owned by the container's root."""
    path = os.path.join(os.path.dirname(open_bundle.path), "volume")
    os.mkdir(path)
    os.chown(path, HOST_BASE, HOST_BASE)
    os.chmod(path, 0o1777)
    os.mkdir(os.path.join(open_bundle.rootfs, "data"))  # the rootfs is the host root's: not writable inside
    open_bundle.config["mounts"].append({"destination": "/data", "type": "bind", "source": path,
                                         "options": ["rbind", "rw"]})
    return path


def test_ids_inside_map_to_the_host_range(runtime, open_bundle, volume):
    with_user_namespace(open_bundle)
    c = start_container(runtime, open_bundle, "sh", "-c", "touch /data/by-root; exec sleep 1000")
    try:
        for kind in ("uid", "gid"):
            with open(f"/proc/{c.pid}/{kind}_map") as f:
                assert f.read().split() == ["0", str(HOST_BASE), "65536"]
        with open(f"/proc/{c.pid}/status") as f:
            fields = dict(line.split(":", 1) for line in f)
        assert fields["Uid"].split() == [str(HOST_BASE)] * 4 and fields["Gid"].split() == [str(HOST_BASE)] * 4
        assert os.stat(f"/proc/{c.pid}/ns/user").st_ino != os.stat("/proc/self/ns/user").st_ino
        proc = exec_in(runtime, "--user", "1000:1001", c.id, "sh", "-c", "touch /data/by-1000; id -u; id -g")
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.split() == ["1000", "1001"]
        for name, (uid, gid) in {"by-root": (HOST_BASE, HOST_BASE),
                                 "by-1000": (HOST_BASE + 1000, HOST_BASE + 1001)}.items():
            st = os.stat(os.path.join(volume, name))
            assert (st.st_uid, st.st_gid) == (uid, gid), name
        inside = exec_in(runtime, c.id, "stat", "-c", "%u:%g", "/data/by-1000", "/bin/busybox").stdout.split()
        assert inside == ["1000:1001", "65534:65534"]  # the host's root is unmapped: the overflow ids
    finally:
        runtime("delete", "--force", c.id)


def test_an_unmapped_user_cannot_be_run(runtime, open_bundle):
    with_user_namespace(open_bundle, uid_maps=[{"containerID": 0, "hostID": HOST_BASE, "size": 1000}])
    open_bundle.config["process"]["user"] = {"uid": 5000, "gid": 0}
    open_bundle.set_args("true")
    proc = runtime("run", "--bundle", open_bundle.path, "u-unmapped", check=False, stdin=subprocess.DEVNULL)
    assert proc.returncode != 0 and proc.stderr.strip().splitlines() == [
        "ociruntime: setuid 5000: Invalid argument"]
    assert not os.path.exists(runtime.root) or not os.listdir(runtime.root)


BAD_MAPPINGS = {
    "without a user namespace": (
        None, [{"containerID": 0, "hostID": HOST_BASE, "size": 10}], "mappings given without a user namespace"),
    "missing gid mappings": ("user", [], "a user namespace needs gid mappings"),
    "overlapping ranges": ("user", [{"containerID": 0, "hostID": HOST_BASE, "size": 100},
                                    {"containerID": 50, "hostID": HOST_BASE + 500, "size": 100}],
                           "linux.uidMappings"),
    "a range past the last id": ("user", [{"containerID": 0, "hostID": 4294967290, "size": 100}],
                                 "linux.uidMappings"),
}


@pytest.mark.parametrize("case", BAD_MAPPINGS)
def test_bad_mappings_are_one_line_errors_and_leave_nothing(runtime, open_bundle, case):
    ns, uid_maps, message = BAD_MAPPINGS[case]
    lin = open_bundle.config["linux"]
    if ns:
        lin["namespaces"].append({"type": ns})
    lin["uidMappings"] = uid_maps
    lin["gidMappings"] = [] if case == "missing gid mappings" else \
        [{"containerID": 0, "hostID": HOST_BASE, "size": 65536}]
    if case == "missing gid mappings":
        lin["uidMappings"] = [{"containerID": 0, "hostID": HOST_BASE, "size": 65536}]
    open_bundle.set_args("true")
    proc = runtime("run", "--bundle", open_bundle.path, "u-bad", check=False, stdin=subprocess.DEVNULL)
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode != 0 and len(lines) == 1 and message in lines[0], proc.stderr
    assert not os.path.exists(runtime.root) or not os.listdir(runtime.root)
    with open("/proc/self/mountinfo") as f:
        assert open_bundle.path not in f.read()
