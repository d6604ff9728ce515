"""linux.namespaces (new or joined by path), uts names, namespaced sysctls, time offsets."""
import os
import subprocess
import uuid

import pytest

from ociruntime.linux import NS_FILES

from support import detached

from .conftest import output_of


def host_ns(kind):
    return os.readlink(f"/proc/self/ns/{NS_FILES[kind]}")


def container_ns(runtime, bundle, kinds):
    script = "; ".join(f"readlink /proc/self/ns/{NS_FILES[k]}" for k in kinds)
    return dict(zip(kinds, output_of(runtime, bundle, "sh", "-c", script).split()))


def test_new_namespaces_differ_from_the_hosts_and_others_are_shared(runtime, bundle):
    new = ["pid", "network", "ipc", "uts", "mount", "cgroup"]
    bundle.config["linux"]["namespaces"] = [{"type": t} for t in new]
    seen = container_ns(runtime, bundle, new + ["user"])
    assert all(seen[k] != host_ns(k) for k in new), seen
    assert seen["user"] == host_ns("user")


def test_only_the_listed_namespaces_are_new(runtime, bundle):
    bundle.config["linux"]["namespaces"] = [{"type": "mount"}]
    del bundle.config["hostname"]
    seen = container_ns(runtime, bundle, ["pid", "network", "ipc", "uts", "cgroup", "mount"])
    assert seen["mount"] != host_ns("mount")
    assert all(seen[k] == host_ns(k) for k in ("pid", "network", "ipc", "uts", "cgroup"))


def test_without_namespaces_every_one_is_the_runtimes_and_no_mount_is_made(runtime, bundle):
    """Spec: a type not listed is inherited. Without a mount namespace the host's mount
    table is shared and left as it is: no config mount is made (a warning says so), the
    process is only chroot'ed into the rootfs; `exec` gets the same root."""
    lin = bundle.config["linux"]
    lin["namespaces"] = []
    for field in ("maskedPaths", "readonlyPaths"):
        lin.pop(field, None)
    del bundle.config["hostname"]
    bundle.config["root"]["readonly"] = False
    bundle.set_args("sleep", "100")
    with open(os.path.join(bundle.rootfs, "marker-of-this-rootfs"), "w"):
        pass
    with open("/proc/self/mountinfo") as f:
        mounts_before = f.read()
    cid = "c-" + uuid.uuid4().hex[:10]
    rc, _, err = detached(runtime, "create", "--bundle", bundle.path, cid)
    assert rc == 0 and "mounts: not set up" in err, err
    try:
        pid = runtime.state(cid)["pid"]
        for kind, name in NS_FILES.items():
            assert os.readlink(f"/proc/{pid}/ns/{name}") == host_ns(kind), kind
        assert os.readlink(f"/proc/{pid}/root") == os.path.realpath(bundle.rootfs)
        with open("/proc/self/mountinfo") as f:
            assert f.read() == mounts_before
        runtime("start", cid)
        listed = runtime("exec", cid, "ls", "/").stdout.split()
        assert "marker-of-this-rootfs" in listed and sorted(listed) == sorted(os.listdir(bundle.rootfs))
    finally:
        runtime("delete", "--force", cid)
    with open("/proc/self/mountinfo") as f:
        assert f.read() == mounts_before


def test_pid_namespace_makes_the_process_pid_1(runtime, bundle):
    assert output_of(runtime, bundle, "sh", "-c", "echo $$").strip() == "1"


def test_cgroup_namespace_roots_the_containers_cgroup(runtime, bundle):
    bundle.config["linux"]["namespaces"].append({"type": "cgroup"})     # not in runc's (and our) default spec
    lines = output_of(runtime, bundle, "cat", "/proc/self/cgroup").splitlines()
    assert lines and all(line.endswith(":/") for line in lines), lines


@pytest.fixture
def named_netns():
    name = f"oci-test-{uuid.uuid4().hex[:8]}"
    subprocess.run(["ip", "netns", "add", name], check=True)
    yield f"/run/netns/{name}"
    subprocess.run(["ip", "netns", "delete", name], check=True)


def test_joining_a_network_namespace_by_path(runtime, bundle, named_netns):
    for ns in bundle.config["linux"]["namespaces"]:
        if ns["type"] == "network":
            ns["path"] = named_netns
    seen = container_ns(runtime, bundle, ["network"])
    assert seen["network"] == f"net:[{os.stat(named_netns).st_ino}]"


def test_joining_the_namespaces_of_another_container(runtime, bundle):
    from .test_lifecycle import created
    cid, pid = created(runtime, bundle, "sleep", "100")
    kinds = ["network", "ipc", "uts"]
    for ns in bundle.config["linux"]["namespaces"]:
        if ns["type"] in kinds:
            ns["path"] = f"/proc/{pid}/ns/{NS_FILES[ns['type']]}"
    bundle.config["linux"]["cgroupsPath"] += "-joiner"
    seen = container_ns(runtime, bundle, kinds)
    assert seen == {k: os.readlink(f"/proc/{pid}/ns/{NS_FILES[k]}") for k in kinds}
    runtime("delete", "--force", cid)


def test_hostname_and_domainname(runtime, bundle):
    bundle.config["hostname"] = "box-one"
    bundle.config["domainname"] = "example.test"
    out = output_of(runtime, bundle, "sh", "-c", "hostname; cat /proc/sys/kernel/domainname").split()
    assert out == ["box-one", "example.test"]
    assert os.uname().nodename != "box-one"


def test_sysctl_in_a_new_network_namespace(runtime, bundle):
    bundle.config["linux"]["sysctl"] = {"net.ipv4.ip_forward": "1", "net.ipv4.ping_group_range": "0 7"}
    with open("/proc/sys/net/ipv4/ip_forward") as f:
        host_forward = f.read()
    out = output_of(runtime, bundle, "sh", "-c", "cat /proc/sys/net/ipv4/ip_forward /proc/sys/net/ipv4/ping_group_range")
    assert out.split() == ["1", "0", "7"]
    with open("/proc/sys/net/ipv4/ip_forward") as f:
        assert f.read() == host_forward


@pytest.fixture
def traversable_bundle(bundle):
    """A user namespace's root (an unprivileged host uid) must reach the rootfs."""
    changed = []
    path = bundle.path
    while path != "/":
        mode = os.stat(path).st_mode & 0o7777
        if not mode & 0o001:
            os.chmod(path, mode | 0o001)
            changed.append((path, mode))
        path = os.path.dirname(path)
    yield bundle
    for path, mode in changed:
        os.chmod(path, mode)


def test_user_namespace_with_mappings(runtime, traversable_bundle):
    bundle = traversable_bundle
    lin = bundle.config["linux"]
    lin["namespaces"].append({"type": "user"})
    lin["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    lin["gidMappings"] = [{"containerID": 0, "hostID": 200000, "size": 65536}]
    out = output_of(runtime, bundle, "sh", "-c", "cat /proc/self/uid_map /proc/self/gid_map; id -u")
    assert out.split() == ["0", "100000", "65536", "0", "200000", "65536", "0"]


@pytest.mark.skipif(not os.path.exists("/proc/self/ns/time"), reason="kernel without time namespaces")
def test_time_namespace_offsets_shift_uptime(runtime, bundle):
    shift = 10 * 86400
    bundle.config["linux"]["namespaces"].append({"type": "time"})
    bundle.config["linux"]["timeOffsets"] = {"boottime": {"secs": shift, "nanosecs": 0},
                                             "monotonic": {"secs": shift, "nanosecs": 0}}
    with open("/proc/uptime") as f:
        before = float(f.read().split()[0])
    inside = float(output_of(runtime, bundle, "cat", "/proc/uptime").split()[0])
    with open("/proc/uptime") as f:
        after = float(f.read().split()[0])
    assert before + shift <= inside <= after + shift
