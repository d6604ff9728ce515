"""readonlyPaths keep their mount's flags (runc: ro,nosuid,nodev,noexec where the mount
had nosuid,nodev,noexec), also where a user namespace has the kernel lock them."""
import os
import subprocess

import pytest
from support import new_id


def options_inside(runtime, bundle, path):
    """The per-mount options of the last mount at path, from the container's mountinfo."""
    bundle.set_args("cat", "/proc/self/mountinfo")
    out = runtime("run", "--bundle", bundle.path, new_id()).stdout
    return [line.split()[5] for line in out.splitlines() if line.split()[4] == path][-1].split(",")


def test_a_readonly_path_keeps_nosuid_nodev_noexec(runtime, bundle):
    bundle.config["linux"]["readonlyPaths"].append("/dev/shm")       # a nosuid,nodev,noexec tmpfs
    assert options_inside(runtime, bundle, "/dev/shm")[:4] == ["ro", "nosuid", "nodev", "noexec"]


@pytest.fixture
def host_noexec_tmpfs(open_bundle):
    """A host tmpfs mounted nosuid,nodev,noexec (beside the bundle, where any uid may traverse):
    in a container's user namespace those flags are locked."""
    path = os.path.join(os.path.dirname(open_bundle.path), "noexec")
    os.mkdir(path)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "nosuid,nodev,noexec,size=1m", "tmpfs", path], check=True)
    yield str(path)
    subprocess.run(["umount", path], check=True)


def test_a_readonly_path_with_locked_flags_in_a_user_namespace(runtime, open_bundle, host_noexec_tmpfs):
    lin = open_bundle.config["linux"]
    lin["namespaces"].append({"type": "user"})
    lin["uidMappings"] = lin["gidMappings"] = [{"containerID": 0, "hostID": 300000, "size": 65536}]
    lin["readonlyPaths"].append("/locked")
    os.mkdir(os.path.join(open_bundle.rootfs, "locked"))
    open_bundle.config["mounts"].append({"destination": "/locked", "type": "bind", "source": host_noexec_tmpfs,
                                         "options": ["rbind"]})
    assert options_inside(runtime, open_bundle, "/locked")[:4] == ["ro", "nosuid", "nodev", "noexec"]
