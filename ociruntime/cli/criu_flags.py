"""runc's flags of `checkpoint` and `restore` (the commands: cli/criu_commands.py)."""
from .args import Flag

_SHARED = [
    Flag("image-path", "image_path", True, None, help="path for the CRIU image files (default: ./checkpoint)"),
    Flag("work-path", "work_path", True, None, help="path for CRIU's work files and log (default: the image path)"),
    Flag("tcp-established", "tcp_established", help="allow open TCP connections"),
    Flag("ext-unix-sk", "ext_unix_sk", help="allow external unix sockets"),
    Flag("shell-job", "shell_job", help="allow shell jobs"),
    Flag("file-locks", "file_locks", help="handle file locks"),
    Flag("manage-cgroups-mode", "manage_cgroups_mode", True, None, help="cgroups mode: soft|full|strict (default: soft)"),
    Flag("empty-ns", "empty_ns", True, [], help="create a namespace but do not restore its properties (network)"),
    Flag("auto-dedup", "auto_dedup", help="enable auto deduplication of memory images"),
    Flag("lazy-pages", "lazy_pages", help="use userfaultfd to lazily restore memory pages"),
]

CHECKPOINT_FLAGS = _SHARED + [
    Flag("parent-path", "parent_path", True, None, help="previous (pre-dump) images, relative to --image-path"),
    Flag("leave-running", "leave_running", help="leave the container running after the checkpoint"),
    Flag("pre-dump", "pre_dump", help="dump memory only, leave the container running"),
    Flag("status-fd", "status_fd", True, -1, int, help="CRIU writes \\0 to this fd once lazy pages are ready"),
    Flag("page-server", "page_server", True, None, help="ADDRESS:PORT of the page server"),
]

RESTORE_FLAGS = _SHARED + [
    Flag("b,bundle", "bundle", True, ".", help="path to the OCI bundle"),
    Flag("d,detach", "detach", help="do not wait for the restored container"),
    Flag("pid-file", "pid_file", True, None, help="write the restored init's pid here"),
    Flag("console-socket", "console_socket", True, None, help="unix socket that receives the pty master"),
    Flag("no-subreaper", "no_subreaper", help="accepted: the restored init is this process's own child"),
    Flag("no-pivot", "no_pivot", help="accepted: CRIU restores the mount namespace as it was"),
]
