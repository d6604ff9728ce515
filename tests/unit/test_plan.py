"""config.json -> the C plan (struct oci_plan), read back through CFFI: every
decision is made in Python, every refusal names its config field."""
import os

import pytest

from ociruntime import linux
from ociruntime.errors import ConfigError
from ociruntime.spec import plan as planmod


def config(**changes):
    c = {"ociVersion": "1.2.0", "root": {"path": "rootfs"},
         "process": {"args": ["sh"], "cwd": "/", "env": ["A=1"], "user": {"uid": 1, "gid": 2}},
         "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"},
                    {"destination": "/data", "type": "bind", "source": "data", "options": ["rbind", "ro"]}],
         "linux": {"namespaces": [{"type": "pid"}, {"type": "mount"}, {"type": "uts"}, {"type": "network"}]}}
    c.update(changes)
    return c


@pytest.fixture
def bundle(tmp_path):
    (tmp_path / "rootfs").mkdir()
    return str(tmp_path)


def build(cfg, bundle):
    return planmod.build_create_plan(cfg, bundle, state_dir_fd=-1, console_fd=-1, preserve_fds=0, no_pivot=False,
                                     cgroup_mounts=lambda m: [])


def test_create_plan(bundle):
    p = build(config(hostname="h"), bundle).c
    ffi = planmod.Plan().ffi
    assert p.clone_flags == linux.CLONE_NEWPID | linux.CLONE_NEWNS | linux.CLONE_NEWUTS | linux.CLONE_NEWNET
    assert p.n_joins == 0 and ffi.string(p.rootfs).decode() == os.path.realpath(bundle + "/rootfs")
    assert [ffi.string(p.mounts[i].destination).decode() for i in range(p.n_mounts)] == ["/proc", "/data"]
    bind = p.mounts[1]
    assert bind.flags == linux.MS_BIND | linux.MS_REC | linux.MS_RDONLY and bind.type == ffi.NULL
    assert ffi.string(bind.source).decode() == os.path.join(bundle, "data")
    assert [ffi.string(p.argv[i]) for i in range(1)] == [b"sh"] and p.argv[1] == ffi.NULL
    assert (p.uid, p.gid, p.umask, p.personality) == (1, 2, -1, -1)
    assert {ffi.string(p.devices[i].path).decode() for i in range(p.n_devices)} >= {"/dev/null", "/dev/tty"}
    assert ffi.string(p.hostname) == b"h"


@pytest.mark.parametrize("change, field, message", [
    ({"linux": {"namespaces": [{"type": "pid"}, {"type": "pid"}]}}, "linux.namespaces[1]", "duplicate namespace"),
    ({"hostname": "h", "linux": {"namespaces": [{"type": "mount"}]}}, "hostname", "needs a uts namespace"),
    ({"root": {"path": "nope"}}, "root.path", "does not exist"),
    ({"process": {"args": []}}, "process.args", "must not be empty"),
    ({"process": {"args": ["sh"], "cwd": "tmp"}}, "process.cwd", "absolute path"),
    ({"process": {"args": ["sh"], "rlimits": [{"type": "RLIMIT_NOPE", "soft": 1, "hard": 1}]}},
     "process.rlimits[0].type", "unknown rlimit"),
    ({"process": {"args": ["sh"], "rlimits": [{"type": "RLIMIT_NOFILE", "soft": 1, "hard": 1},
                                               {"type": "RLIMIT_CORE", "soft": 1, "hard": 1},
                                               {"type": "RLIMIT_NOFILE", "soft": 2, "hard": 2}]}},
     "process.rlimits[2].type", "duplicate rlimit 'RLIMIT_NOFILE'"),
    ({"process": {"args": ["echo", "a\0b"]}}, "process.args[1]", "must not contain a NUL byte"),
    ({"process": {"args": ["sh"], "env": ["A=1", "B=x\0y"]}}, "process.env[1]", "must not contain a NUL byte"),
    ({"process": {"args": ["sh"], "capabilities": {"bounding": ["CAP_NOPE"]}}},
     "process.capabilities.bounding", "unknown capability"),
    ({"mounts": [{"destination": "rel", "type": "tmpfs"}]}, "mounts[0] (rel)", "absolute path"),
    ({"mounts": [{"destination": "/m", "type": "tmpfs", "options": ["idmap"]}]}, "mounts[0] (/m)",
     "idmapped mounts must be bind mounts"),
    ({"mounts": [{"destination": "/m", "type": "bind", "source": "/srv", "options": ["ridmap"]}]}, "mounts[0] (/m)",
     "ridmap without uidMappings/gidMappings needs the container's user namespace"),
    ({"linux": {"namespaces": [{"type": "mount"}], "sysctl": {"net.ipv4.ip_forward": "1"}}},
     "linux.sysctl", "needs a network namespace"),
    ({"linux": {"namespaces": [{"type": "pid", "path": "/nonexistent/ns"}]}}, "linux.namespaces", "does not exist"),
])
def test_refusals_name_the_field(bundle, change, field, message):
    with pytest.raises(ConfigError, match=message) as caught:
        build(config(**change), bundle)
    assert caught.value.field == field
    assert str(caught.value).startswith(f"config.json: {field}: ")


def test_mount_options_as_runc_reads_them():
    o = planmod.parse_mount_options(["nosuid", "rw", "rprivate", "mode=755", "size=1k", "nosymfollow"])
    assert o.flags == linux.MS_NOSUID | linux.MS_NOSYMFOLLOW and o.propagation == linux.MS_PRIVATE | linux.MS_REC
    assert o.data == "mode=755,size=1k" and (o.rec_set, o.rec_clear, o.idmap) == (0, 0, None)


def test_recursive_options_are_mount_setattr_attributes():
    o = planmod.parse_mount_options(["rbind", "rro", "rnosuid", "rrw", "rexec", "rnoatime", "ridmap"])
    assert o.flags == linux.MS_BIND | linux.MS_REC and o.idmap == "ridmap"
    assert o.rec_set == linux.MOUNT_ATTR_NOSUID | linux.MOUNT_ATTR_NOATIME
    # the last of rro/rrw wins; an atime option replaces the whole atime field
    assert o.rec_clear == linux.MOUNT_ATTR_RDONLY | linux.MOUNT_ATTR_NOEXEC | linux.MOUNT_ATTR__ATIME


def test_without_a_mount_namespace_nothing_is_mounted(bundle):
    cfg = config(linux={"namespaces": [{"type": "pid"}]})
    assert planmod.host_mount_ns_skips(cfg) == ["mounts"]
    assert build(cfg, bundle).c.host_mount_ns == 1
    with pytest.raises(ConfigError, match="root.readonly: needs a mount namespace"):
        build(config(root={"path": "rootfs", "readonly": True}, linux={"namespaces": []}), bundle)


def test_exec_plan_joins_the_inits_namespaces_user_first():
    cfg = config(linux={"namespaces": [{"type": "pid"}, {"type": "user"}, {"type": "mount"}]})
    p = planmod.build_exec_plan(cfg, 4242, {"args": ["ls"]}, console_fd=-1, preserve_fds=0).c
    ffi = planmod.Plan().ffi
    assert [ffi.string(p.joins[i].path).decode() for i in range(p.n_joins)] == [
        "/proc/4242/ns/user", "/proc/4242/ns/pid", "/proc/4242/ns/mnt"]
    assert p.exec_only == 1 and p.state_dir_fd == -1


def test_fixed_sizes_of_the_c_side_are_refused_not_truncated(bundle):
    from ociruntime._core import lib
    gids = list(range(lib.OCI_MAX_GIDS + 1))
    with pytest.raises(ConfigError, match=f"at most {lib.OCI_MAX_GIDS} groups, got {len(gids)}") as caught:
        build(config(process={"args": ["sh"], "user": {"uid": 0, "gid": 0, "additionalGids": gids}}), bundle)
    assert caught.value.field == "process.user.additionalGids"
    build(config(process={"args": ["sh"], "user": {"uid": 0, "gid": 0, "additionalGids": gids[:-1]}}), bundle)
