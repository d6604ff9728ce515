"""`checkpoint` and `restore`: options in, the API's Container.checkpoint() and
Runtime.restore() called (ociruntime/container/checkpoint.py does the work)."""

_SHARED = ("image_path", "work_path", "tcp_established", "ext_unix_sk", "shell_job", "file_locks",
           "manage_cgroups_mode", "empty_ns", "auto_dedup", "lazy_pages")


def checkpoint(rt, o, container_id):
    from ..api import Container
    extra = {k: o[k] for k in ("parent_path", "leave_running", "pre_dump", "status_fd", "page_server")}
    Container(rt, container_id).checkpoint(criu=o["criu"], **{k: o[k] for k in _SHARED}, **extra)
    return 0


def restore(rt, o, container_id):
    from ..api import restore_and_wait
    return restore_and_wait(rt, container_id, o["bundle"], criu=o["criu"], detach=o["detach"], pid_file=o["pid_file"],
                            console_socket=o["console_socket"], no_pivot=o["no_pivot"],
                            lsm_profile=o["lsm_profile"], lsm_mount_context=o["lsm_mount_context"],
                            forward_signals=True, **{k: o[k] for k in _SHARED})
