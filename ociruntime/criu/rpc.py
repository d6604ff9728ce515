"""The messages of CRIU's RPC (images/rpc.proto in the CRIU sources) that `checkpoint`
and `restore` use, as schemas for ociruntime.criu.protobuf. Field numbers are CRIU's;
fields we never send or read are left out (the decoder skips them)."""
from .protobuf import Field

# criu_req_type
DUMP, RESTORE, CHECK, PRE_DUMP, NOTIFY, FEATURE_CHECK, VERSION = 1, 2, 3, 4, 6, 9, 10
REQUEST_NAMES = {DUMP: "DUMP", RESTORE: "RESTORE", CHECK: "CHECK", PRE_DUMP: "PRE_DUMP", NOTIFY: "NOTIFY",
                 FEATURE_CHECK: "FEATURE_CHECK", VERSION: "VERSION"}

# criu_cg_mode, by runc's --manage-cgroups-mode names
CGROUP_MODES = {"soft": 3, "full": 4, "strict": 5}

PAGE_SERVER_INFO = {"address": Field(1, "string"), "port": Field(2, "int32"), "pid": Field(3, "int32"),
                    "fd": Field(4, "int32")}
EXT_MOUNT_MAP = {"key": Field(1, "string"), "val": Field(2, "string")}
INHERIT_FD = {"key": Field(1, "string"), "fd": Field(2, "int32")}
CGROUP_ROOT = {"ctrl": Field(1, "string"), "path": Field(2, "string")}

OPTS = {
    "images_dir_fd": Field(1, "int32"),
    "pid": Field(2, "int32"),
    "leave_running": Field(3, "bool"),
    "ext_unix_sk": Field(4, "bool"),
    "tcp_established": Field(5, "bool"),
    "evasive_devices": Field(6, "bool"),
    "shell_job": Field(7, "bool"),
    "file_locks": Field(8, "bool"),
    "log_level": Field(9, "int32"),
    "log_file": Field(10, "string"),
    "ps": Field(11, PAGE_SERVER_INFO),
    "notify_scripts": Field(12, "bool"),
    "root": Field(13, "string"),
    "parent_img": Field(14, "string"),
    "track_mem": Field(15, "bool"),
    "auto_dedup": Field(16, "bool"),
    "work_dir_fd": Field(17, "int32"),
    "ext_mnt": Field(23, EXT_MOUNT_MAP, repeated=True),
    "manage_cgroups": Field(24, "bool"),
    "cg_root": Field(25, CGROUP_ROOT, repeated=True),
    "rst_sibling": Field(26, "bool"),
    "inherit_fd": Field(27, INHERIT_FD, repeated=True),
    "manage_cgroups_mode": Field(34, "enum"),
    "external": Field(37, "string", repeated=True),
    "empty_ns": Field(38, "uint32"),
    "freeze_cgroup": Field(44, "string"),
    "lazy_pages": Field(48, "bool"),
    "status_fd": Field(49, "int32"),
    "orphan_pts_master": Field(50, "bool"),
    "lsm_profile": Field(53, "string"),
    "lsm_mount_context": Field(63, "string"),
}

FEATURES = {"mem_track": Field(1, "bool"), "lazy_pages": Field(2, "bool"), "pidfd_store": Field(3, "bool")}

REQ = {
    "type": Field(1, "enum"),
    "opts": Field(2, OPTS),
    "notify_success": Field(3, "bool"),
    "keep_open": Field(4, "bool"),
    "features": Field(5, FEATURES),
}

VERSION_INFO = {"major_number": Field(1, "int32"), "minor_number": Field(2, "int32"), "gitid": Field(3, "string"),
                "sublevel": Field(4, "int32"), "extra": Field(5, "int32"), "name": Field(6, "string")}

RESP = {
    "type": Field(1, "enum"),
    "success": Field(2, "bool"),
    "dump": Field(3, {"restored": Field(1, "bool")}),
    "restore": Field(4, {"pid": Field(1, "int32")}),
    "notify": Field(5, {"script": Field(1, "string"), "pid": Field(2, "int32")}),
    "ps": Field(6, PAGE_SERVER_INFO),
    "cr_errno": Field(7, "int32"),
    "features": Field(8, FEATURES),
    "cr_errmsg": Field(9, "string"),
    "version": Field(10, VERSION_INFO),
    "status": Field(11, "int32"),
}
