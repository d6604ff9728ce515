"""checkpoint/restore options and what they tell CRIU, without CRIU: flag checks, the
external mounts, the inherited stdio, a CRIU log's tail in an error."""
import json

import pytest

from ociruntime.container import checkpoint
from ociruntime.criu import protobuf, rpc, swrk
from ociruntime.errors import InvalidArgument

CONFIG = {
    "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"},
               {"destination": "/etc/hosts", "type": "bind", "source": "/b/hosts", "options": ["rbind", "ro"]},
               {"destination": "data/", "source": "/srv/data", "options": ["bind"]},
               {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup"}],
    "linux": {"namespaces": [{"type": "mount"}, {"type": "cgroup"}],
              "devices": [{"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229}],
              "maskedPaths": ["/proc/kcore"]},
}


@pytest.mark.parametrize("kwargs, message", [
    ({"parent_path": "/abs"}, "--parent-path must be relative"),
    ({"manage_cgroups_mode": "ignore"}, "invalid --manage-cgroups-mode"),
    ({"empty_ns": ["pid"]}, "only network"),
    ({"page_server": "nohost"}, "ADDRESS:PORT"),
    ({"page_server": "10.0.0.1:99999"}, "ADDRESS:PORT"),
    ({"status_fd": 5}, "--status-fd needs --lazy-pages"),
    ({"lsm_profile": "unconfined"}, "invalid --lsm-profile 'unconfined': use TYPE:NAME"),
    ({"lsm_profile": "smack:x"}, "TYPE one of apparmor, selinux, none"),
    ({"lsm_profile": "selinux:"}, "use TYPE:NAME"),
])
def test_bad_flags(kwargs, message):
    with pytest.raises(InvalidArgument, match=message):
        checkpoint.Options(image_path="/img", **kwargs)


def test_flags_as_criu_options():
    opts = checkpoint.Options(image_path="/img", manage_cgroups_mode="strict", empty_ns=["network"],
                              page_server="[::1]:2700", tcp_established=True)
    common = opts.common(3, -1, "dump.log")
    assert common["manage_cgroups_mode"] == rpc.CGROUP_MODES["strict"] == 5
    assert common["empty_ns"] == 0x40000000 and common["tcp_established"] and common["orphan_pts_master"]
    assert "work_dir_fd" not in common
    assert opts.page_server == {"address": "::1", "port": 2700}
    assert opts.log_path("dump.log") == "/img/dump.log"
    assert checkpoint.Options(image_path="/img", work_path="/w").log_path("x.log") == "/w/x.log"


def test_lsm_options_in_criu_s_encoding():
    opts = checkpoint.Options(image_path="/img", lsm_profile="selinux:system_u:system_r:container_t:s0:c1,c2",
                              lsm_mount_context="system_u:object_r:container_file_t:s0:c1,c2")
    assert opts.lsm_profile.startswith("selinux:") and opts.lsm_mount_context.endswith(":s0:c1,c2")
    assert checkpoint.Options(image_path="/img", lsm_profile="none:").lsm_profile == "none:"  # CRIU: no profile
    # rpc.proto: lsm_profile = 53, lsm_mount_context = 63, both strings (wire type 2)
    encoded = protobuf.encode(rpc.OPTS, {"lsm_profile": "apparmor:p", "lsm_mount_context": "c"})
    assert encoded == b"\xaa\x03\x0aapparmor:p" + b"\xfa\x03\x01c"


def test_external_mounts_on_dump_and_on_restore():
    dump = checkpoint._dump_external_mounts(CONFIG, pid=-1)  # no such pid: no masked file found
    assert {"key": "/etc/hosts", "val": "/etc/hosts"} in dump and {"key": "/data", "val": "/data"} in dump
    assert {"key": "/dev/null", "val": "/dev/null"} in dump and {"key": "/dev/fuse", "val": "/dev/fuse"} in dump
    assert not any(e["key"] == "/sys/fs/cgroup" for e in dump)  # its own cgroup namespace: a real mount
    restore = checkpoint._restore_external_mounts(CONFIG, mgr=None)
    assert {"key": "/etc/hosts", "val": "/b/hosts"} in restore and {"key": "/data", "val": "/srv/data"} in restore


def test_a_cgroup_mount_without_a_cgroup_namespace_is_external():
    config = dict(CONFIG, linux={"namespaces": [{"type": "mount"}]})
    assert {"key": "/sys/fs/cgroup", "val": "/sys/fs/cgroup"} in checkpoint._dump_external_mounts(config, pid=-1)

    class V2:
        def placement(self):
            return [], "/sys/fs/cgroup/new-id"
    assert {"key": "/sys/fs/cgroup", "val": "/sys/fs/cgroup/new-id"} in \
        checkpoint._restore_external_mounts(config, V2())


def test_inherited_stdio_from_descriptors(tmp_path):
    (tmp_path / "descriptors.json").write_text(json.dumps(["/dev/null", "pipe:[77]", "file[18:4]"]))
    entries, fds = checkpoint._inherited(str(tmp_path), {"linux": {}})
    assert entries == [{"key": "pipe:[77]", "fd": 1}, {"key": "file[18:4]", "fd": 2}] and fds == []


def test_a_namespace_joined_by_path_is_inherited(tmp_path):
    ns = tmp_path / "netns"
    ns.write_text("")
    entries, fds = checkpoint._inherited(str(tmp_path), {"linux": {"namespaces": [{"type": "network", "path": str(ns)}]}})
    try:
        assert entries == [{"key": "extRootNetNS", "fd": fds[0]}]
    finally:
        for fd in fds:
            import os
            os.close(fd)


def test_log_tail_prefers_error_lines(tmp_path):
    log = tmp_path / "dump.log"
    log.write_text("(0.1) start\n(0.2) Error (a.c:1): first\n(0.3) more\n(0.4) Error (b.c:2): second\n(0.5) end\n")
    assert swrk.log_tail(str(log)) == "(0.2) Error (a.c:1): first | (0.4) Error (b.c:2): second"
    log.write_text("(0.1) only\n(0.2) lines\n")
    assert swrk.log_tail(str(log)) == "(0.1) only | (0.2) lines"
    assert swrk.log_tail(str(tmp_path / "none.log")) == ""


def test_a_criu_that_is_not_there(tmp_path):
    with pytest.raises(swrk.CriuError, match="not found"):
        swrk.find_criu(str(tmp_path / "criu"))
    with pytest.raises(swrk.CriuError, match="not found"):
        swrk.find_criu("no-such-criu-binary")
