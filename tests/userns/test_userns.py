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


# --- bind sources and idmapped mounts (runtime-spec 1.2 mounts[].uidMappings, idmap/ridmap) ---

def mountinfo_options(text, point):
    """The per-mount options of the topmost mount at point in a mountinfo text."""
    found = [line.split()[5].split(",") for line in text.splitlines() if line.split()[4] == point]
    assert found, f"nothing mounted at {point}: {text}"
    return set(found[-1])


@pytest.fixture
def host_tree(open_bundle):
    """/PRIVATE/tree (PRIVATE 0700: no mapped id can pass it) holding a file of the host's
    root, one of uid/gid 1000, and a tmpfs submount `sub`; /data made in the rootfs."""
    top = os.path.dirname(open_bundle.path)
    private = os.path.join(top, "private")
    os.mkdir(private, 0o700)
    tree = os.path.join(private, "tree")
    os.makedirs(os.path.join(tree, "sub"))
    os.chmod(tree, 0o777)
    for name, owner in (("by-host-root", 0), ("by-1000", 1000)):
        with open(os.path.join(tree, name), "w") as f:
            f.write(name + "\n")
        os.chown(os.path.join(tree, name), owner, owner)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k,mode=777", "oci-test-sub", os.path.join(tree, "sub")],
                   check=True)
    os.mkdir(os.path.join(open_bundle.rootfs, "data"))
    yield tree
    subprocess.run(["umount", os.path.join(tree, "sub")], check=True)


def add_tree_mount(bundle, tree, options, **extra):
    bundle.config["mounts"].append({"destination": "/data", "type": "bind", "source": tree, "options": options,
                                    **extra})


SHOW_IDS = "cat /data/by-host-root; stat -c %u:%g /data/by-host-root /data/by-1000; cat /proc/self/mountinfo"


def run_showing_ids(runtime, bundle, script=SHOW_IDS):
    bundle.set_args("sh", "-c", script)
    proc = runtime("run", "--bundle", bundle.path, "u-idmap", check=False, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    return lines[0], lines[1:3], "\n".join(lines[3:])


def test_a_bind_source_the_mapped_root_cannot_reach_is_mounted(runtime, open_bundle, host_tree):
    """The source is opened (open_tree) before the user namespace exists, as crun does:
    the container's root (host uid 300000) could not pass the 0700 parent."""
    with_user_namespace(open_bundle)
    add_tree_mount(open_bundle, host_tree, ["rbind", "ro"])
    content, ids, mountinfo = run_showing_ids(runtime, open_bundle)
    assert content == "by-host-root" and ids == ["65534:65534", "65534:65534"]  # unmapped host ids: overflow
    assert {"ro"} <= mountinfo_options(mountinfo, "/data") and "idmapped" not in mountinfo_options(mountinfo, "/data")


@pytest.mark.parametrize("option", ["idmap", "ridmap"])
def test_idmapped_mount_with_the_containers_mapping(runtime, open_bundle, host_tree, option):
    """idmap without mappings of its own: the container's (0 -> 300000), so the host's
    root's files are root's inside and a file made inside is the host root's on disk.
    ridmap idmaps the submount too; idmap the top mount only (as runc)."""
    with_user_namespace(open_bundle)
    add_tree_mount(open_bundle, host_tree, ["rbind", option])
    content, ids, mountinfo = run_showing_ids(runtime, open_bundle, "touch /data/made-inside; " + SHOW_IDS)
    assert content == "by-host-root" and ids == ["0:0", "1000:1000"]
    assert "idmapped" in mountinfo_options(mountinfo, "/data")
    assert ("idmapped" in mountinfo_options(mountinfo, "/data/sub")) == (option == "ridmap")
    st = os.stat(os.path.join(host_tree, "made-inside"))
    assert (st.st_uid, st.st_gid) == (0, 0)


def test_idmapped_mount_with_mappings_of_its_own_without_a_user_namespace(runtime, open_bundle, host_tree):
    """mounts[].uidMappings/gidMappings (here 0 -> 5000, 1000 -> 6000): a container in the
    host's user namespace sees the host's root's file as 5000 and 1000's as 6000."""
    maps = [{"containerID": 0, "hostID": 5000, "size": 1}, {"containerID": 1000, "hostID": 6000, "size": 1}]
    add_tree_mount(open_bundle, host_tree, ["rbind", "idmap"], uidMappings=maps, gidMappings=maps)
    content, ids, mountinfo = run_showing_ids(runtime, open_bundle)
    assert content == "by-host-root" and ids == ["5000:5000", "6000:6000"]
    assert "idmapped" in mountinfo_options(mountinfo, "/data")


@pytest.mark.parametrize("extra, message", [
    ({}, "idmap without uidMappings/gidMappings needs the container's user namespace mappings"),
    ({"uidMappings": [{"containerID": 0, "hostID": 5000, "size": 1}]}, "must be given together"),
])
def test_bad_idmapped_mounts_are_one_line_errors_and_leave_nothing(runtime, open_bundle, host_tree, extra, message):
    add_tree_mount(open_bundle, host_tree, ["rbind", "idmap"], **extra)
    open_bundle.set_args("true")
    proc = runtime("run", "--bundle", open_bundle.path, "u-bad", check=False, stdin=subprocess.DEVNULL)
    lines = proc.stderr.strip().splitlines()
    index = len(open_bundle.config["mounts"]) - 1
    assert proc.returncode != 0 and len(lines) == 1, proc.stderr
    assert lines[0].startswith(f"ociruntime: config.json: mounts[{index}] (/data): ") and message in lines[0], lines
    assert not os.path.exists(runtime.root) or not os.listdir(runtime.root)
    with open("/proc/self/mountinfo") as f:
        assert open_bundle.path not in f.read()
