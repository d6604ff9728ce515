"""`checkpoint` and `restore`: a container's processes saved to CRIU images and brought
back as a container (runc's libcontainer Checkpoint/Restore, over CRIU's RPC:
ociruntime.criu).

What CRIU cannot know from inside the container we tell it: the bind mounts and
device nodes from the host (external mounts), the masked files (/dev/null binds),
namespaces joined by path (external), the stdio pipes the container inherited
(inherit_fd, recorded in descriptors.json as runc does), the cgroup it must restore
into (CRIU runs in it), and the console (CRIU hands back a new pty master)."""
import os
import stat
import time

from .. import jsonio
from ..errors import InvalidArgument, RuntimeFailure, WrongState
from .state import StateDir, process_start_time, write_pid_file

DESCRIPTORS = "descriptors.json"  # runc's name: the init's stdio, for inherit_fd on restore
IMAGE_MARK = "inventory.img"  # every CRIU dump (not a pre-dump) writes it
LOG_LEVEL = 4
CLONE_NEWNET = 0x40000000
EMPTY_NS = {"network": CLONE_NEWNET}
LSM_KINDS = ("apparmor", "selinux", "none")  # the --lsm-profile TYPEs CRIU knows ("none:": no profile)
LSM_MIN_CRIU = (3, 16, 0)  # CRIU's lsm_profile and lsm_mount_context options (as runc checks)
_EXTERNAL_NS = {"network": ("net", "extRootNetNS"), "pid": ("pid", "extRootPidNS")}


class Options:
    """The flags `checkpoint` and `restore` share with runc, checked."""

    def __init__(self, *, image_path=None, work_path=None, parent_path=None, leave_running=False,
                 tcp_established=False, ext_unix_sk=False, shell_job=False, file_locks=False, pre_dump=False,
                 manage_cgroups_mode=None, empty_ns=(), auto_dedup=False, lazy_pages=False, status_fd=-1,
                 page_server=None, lsm_profile=None, lsm_mount_context=None):
        from ..criu import rpc
        self.image_path = os.path.abspath(image_path or os.path.join(os.getcwd(), "checkpoint"))
        self.work_path = os.path.abspath(work_path) if work_path else None
        if parent_path and os.path.isabs(parent_path):
            raise InvalidArgument("--parent-path must be relative (to --image-path)")
        self.parent_path = parent_path or None
        self.leave_running = leave_running
        self.tcp_established = tcp_established
        self.ext_unix_sk = ext_unix_sk
        self.shell_job = shell_job
        self.file_locks = file_locks
        self.pre_dump = pre_dump
        if manage_cgroups_mode and manage_cgroups_mode not in rpc.CGROUP_MODES:
            raise InvalidArgument(f"invalid --manage-cgroups-mode {manage_cgroups_mode!r} "
                                  f"(one of {', '.join(rpc.CGROUP_MODES)})")
        self.cgroups_mode = rpc.CGROUP_MODES.get(manage_cgroups_mode or "")
        self.empty_ns = 0
        for ns in empty_ns:
            if ns not in EMPTY_NS:
                raise InvalidArgument(f"--empty-ns: namespace {ns!r} is not supported (only network)")
            self.empty_ns |= EMPTY_NS[ns]
        self.auto_dedup = auto_dedup
        self.lazy_pages = lazy_pages
        if status_fd != -1 and not lazy_pages:
            raise InvalidArgument("--status-fd needs --lazy-pages")
        self.status_fd = status_fd
        self.page_server = _parse_page_server(page_server) if page_server else None
        kind, colon, name = (lsm_profile or "").partition(":")
        if lsm_profile and (kind not in LSM_KINDS or not colon or not (name or kind == "none")):
            raise InvalidArgument(f"invalid --lsm-profile {lsm_profile!r}: use TYPE:NAME, TYPE one of "
                                  f"{', '.join(LSM_KINDS)}")
        self.lsm_profile = lsm_profile or None
        self.lsm_mount_context = lsm_mount_context or None

    def common(self, images_fd, work_fd, log_file):
        """The criu_opts both directions set, as runc sets them."""
        opts = {"images_dir_fd": images_fd, "log_level": LOG_LEVEL, "log_file": log_file, "manage_cgroups": True,
                "notify_scripts": True, "shell_job": self.shell_job, "tcp_established": self.tcp_established,
                "ext_unix_sk": self.ext_unix_sk, "file_locks": self.file_locks, "empty_ns": self.empty_ns,
                "orphan_pts_master": True, "auto_dedup": self.auto_dedup, "lazy_pages": self.lazy_pages}
        if work_fd >= 0:
            opts["work_dir_fd"] = work_fd
        if self.cgroups_mode is not None:
            opts["manage_cgroups_mode"] = self.cgroups_mode
        return opts

    def log_path(self, log_file):
        return os.path.join(self.work_path or self.image_path, log_file)


def _parse_page_server(text):
    address, sep, port = text.rpartition(":")
    if not sep or not address or not port.isdigit() or not 0 < int(port) < 65536:
        raise InvalidArgument("use --page-server ADDRESS:PORT to name the page server")
    return {"address": address.strip("[]"), "port": int(port)}


def _open_dir(path, what, create):
    if create:
        try:
            os.makedirs(path, 0o700, exist_ok=True)
        except OSError as e:
            raise RuntimeFailure(f"{what} {path}: {e.strerror}") from None
    try:
        return os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError as e:
        raise RuntimeFailure(f"{what} {path}: {e.strerror}") from None


def _mount_key(destination):
    """A mount's path inside the container, as CRIU names mount points ("/etc/hosts")."""
    return "/" + os.path.normpath(destination).lstrip("/")


def _require_features(criu, opts):
    from ..criu import swrk
    wanted = (["mem_track"] if opts.pre_dump else []) + (["lazy_pages"] if opts.lazy_pages else [])
    if not wanted:
        return
    missing = set(wanted) - swrk.features(criu, wanted)
    if missing:
        flags = {"mem_track": "--pre-dump (memory tracking)", "lazy_pages": "--lazy-pages (userfaultfd)"}
        raise RuntimeFailure(f"{' and '.join(flags[m] for m in sorted(missing))}: not supported by this CRIU "
                             "and kernel")


def _check_status_fd(fd):
    import fcntl
    try:
        flags = fcntl.fcntl(fd, fcntl.F_GETFL)
    except OSError as e:
        raise InvalidArgument(f"invalid --status-fd {fd}: {e.strerror}") from None
    if not flags & (os.O_WRONLY | os.O_RDWR):
        raise InvalidArgument(f"invalid --status-fd {fd}: not writable")


def _signal_status_fd(opts):
    """Lazy pages are ready to be served: runc writes one \\0 to --status-fd and closes it."""
    if opts.status_fd >= 0:
        try:
            os.write(opts.status_fd, b"\0")
            os.close(opts.status_fd)
        except OSError:
            pass
        opts.status_fd = -1


# -- checkpoint ---------------------------------------------------------------------------

def checkpoint(root, container_id, criu_path, opts, *, warn=None):
    """Dump the container's process tree into opts.image_path. Unless leave_running or
    pre_dump, the container is then gone (stopped and deleted), as runc leaves it."""
    from ..criu import swrk
    from . import lifecycle
    c = StateDir.load(root, container_id)
    try:
        status = c.status()
        if status not in ("running", "paused"):
            raise WrongState(f"container cannot be checkpointed in {status} state", status)
        if c.state.get("network"):
            raise RuntimeFailure("checkpoint of a container with ociruntime bridge networking is not supported "
                                 "(its veth peer is outside the container)")
        criu = swrk.find_criu(criu_path)
        if opts.status_fd >= 0:
            _check_status_fd(opts.status_fd)
        _require_features(criu, opts)
        images_fd = _open_dir(opts.image_path, "--image-path", create=True)  # first, as runc: the parent is relative to it
        if opts.parent_path and not os.path.isdir(os.path.join(opts.image_path, opts.parent_path)):
            os.close(images_fd)
            raise InvalidArgument(f"invalid --parent-path: {os.path.join(opts.image_path, opts.parent_path)} "
                                  "is not a directory")
        work_fd = _open_dir(opts.work_path, "--work-path", create=True) if opts.work_path else -1
        try:
            _dump(c, criu, opts, images_fd, work_fd)
        finally:
            os.close(images_fd)
            if work_fd >= 0:
                os.close(work_fd)
        if not (opts.leave_running or opts.pre_dump):
            # CRIU killed the tasks after the dump: the container is destroyed, as runc's is
            lifecycle._kill_everything(c)
            lifecycle.destroy(c, warn)
    finally:
        c.close()


def _dump(c, criu, opts, images_fd, work_fd):
    from ..criu import rpc, swrk
    config = c.state["config"]
    pid = c.state["pid"]
    log_file = "pre-dump.log" if opts.pre_dump else "dump.log"
    req_opts = opts.common(images_fd, work_fd, log_file)
    req_opts.update(root=c.state["rootfs"], pid=pid, leave_running=opts.leave_running)
    req_opts["external"] = _external_namespaces(config)
    if c.state.get("cgroup"):
        mgr = c.cgroup()
        if mgr.can_freeze():
            req_opts["freeze_cgroup"] = _freezer_dir(mgr)
    if opts.page_server:
        req_opts["ps"] = opts.page_server
    if opts.parent_path:
        req_opts["parent_img"] = opts.parent_path
        req_opts["track_mem"] = True
    if opts.lazy_pages and opts.status_fd >= 0:
        req_opts["status_fd"] = opts.status_fd
    if not opts.pre_dump:
        req_opts["ext_mnt"] = _dump_external_mounts(config, pid)
        stdio = _stdio_descriptors(pid)
        req_opts["external"] += [name for name in stdio if name.startswith("file[")]
        _write_descriptors(opts.image_path, stdio)

    def on_notify(script, _pid, _fds):
        if script == "status-ready":
            _signal_status_fd(opts)

    session = swrk.Session(criu, log_path=opts.log_path(log_file), own_stdio=False)
    try:
        session.call({"type": rpc.PRE_DUMP if opts.pre_dump else rpc.DUMP, "opts": req_opts}, on_notify)
    finally:
        status = session.finish()
    if status and not opts.pre_dump:  # a pre-dump's CRIU waits for more and is stopped by the close
        session.fail(f"exited with status {os.waitstatus_to_exitcode(status)} after the dump")


def _freezer_dir(mgr):
    """The cgroup CRIU freezes the tasks through: the container's own (v2), or its
    freezer controller's directory (v1)."""
    tasks, cgroup2_dir = mgr.placement()
    if cgroup2_dir:
        return cgroup2_dir
    return next((os.path.dirname(t) for t in tasks if "/freezer/" in t), None)


def _external_namespaces(config):
    """Namespaces joined by path are external to the dump (runc: net and pid):
    "net[INODE]:extRootNetNS"; restore hands CRIU the namespace under that key."""
    out = []
    for ns in config.get("linux", {}).get("namespaces", ()):
        if ns.get("path") and ns["type"] in _EXTERNAL_NS:
            kind, key = _EXTERNAL_NS[ns["type"]]
            try:
                inode = os.stat(ns["path"]).st_ino
            except OSError as e:
                raise RuntimeFailure(f"{ns['type']} namespace {ns['path']}: {e.strerror}") from None
            out.append(f"{kind}[{inode}]:{key}")
    return out


def _is_bind(mount):
    options = mount.get("options") or ()
    return mount.get("type") == "bind" or "bind" in options or "rbind" in options


def _external_mounts(config):
    """The config's mounts that come from outside the container: binds, and a cgroup
    mount without a cgroup namespace of its own (a bind of the container's cgroup)."""
    own_cgroupns = any(ns["type"] == "cgroup" and not ns.get("path")
                       for ns in config.get("linux", {}).get("namespaces", ()))
    return [m for m in config.get("mounts", ()) if _is_bind(m) or (m.get("type") == "cgroup" and not own_cgroupns)]


def _device_paths(config):
    """The container's device nodes, the default ones included (as runc's config.Devices):
    named as external mounts so that CRIU resolves host fds on them (stdio on /dev/null)."""
    from ..spec.plan import DEFAULT_DEVICES
    paths = [path for path, _major, _minor in DEFAULT_DEVICES]
    return paths + [d["path"] for d in config.get("linux", {}).get("devices", ()) if d["path"] not in paths]


def _dump_external_mounts(config, pid):
    """Bind mounts, the host's device nodes and the masked files are mounts from
    outside the container: named by their mount point, on dump as on restore."""
    points = [_mount_key(m["destination"]) for m in _external_mounts(config)]
    points += _device_paths(config)
    ext = [{"key": p, "val": p} for p in points]
    for path in config.get("linux", {}).get("maskedPaths", ()):
        try:
            st = os.stat(f"/proc/{pid}/root/{path.lstrip('/')}")
        except OSError:
            continue
        if not stat.S_ISDIR(st.st_mode):
            ext.append({"key": path, "val": "/dev/null"})
    return ext


def _stdio_descriptors(pid):
    """What the init's fds 0-2 are, for restore to hand CRIU its own stdio in their
    place (runc's descriptors.json): "pipe:[INODE]" for a pipe, and for a file on a
    mount outside the container (the host's /dev/null a detached `run` passes on)
    CRIU's external-file key "file[MNT_ID:INODE]" (hex), dumped as external."""
    with open(f"/proc/{pid}/mountinfo") as f:
        inside = {line.split(None, 1)[0] for line in f}
    names = []
    for fd in range(3):
        try:
            name = os.readlink(f"/proc/{pid}/fd/{fd}")
            with open(f"/proc/{pid}/fdinfo/{fd}") as f:
                info = dict(line.split(":", 1) for line in f if ":" in line)
            mnt_id = info.get("mnt_id", "").strip()
            if name.startswith("/") and mnt_id and mnt_id not in inside:
                name = f"file[{int(mnt_id):x}:{os.stat(f'/proc/{pid}/fd/{fd}').st_ino:x}]"
        except OSError:
            name = ""
        names.append(name)
    return names


def _write_descriptors(image_path, names):
    with open(os.path.join(image_path, DESCRIPTORS), "w") as f:
        f.write(jsonio.dumps(names))


# -- restore ------------------------------------------------------------------------------

def restore(root, container_id, bundle, criu_path, opts, *, pid_file=None, console_socket=None, no_pivot=False,
            console=None, warn=None, systemd_cgroup=False):
    """A container made from the images of a checkpoint: running with its new init pid
    when this returns (the init is the caller's child: CRIU restores it as our sibling
    of CRIU, rst_sibling). On any failure nothing is left: no process, cgroup or state."""
    from ..criu import swrk
    from ..spec.config import load_config
    from .console import connect_console_socket
    from .lifecycle import _make_cgroup, _plan_cgroup
    criu = swrk.find_criu(criu_path)
    if not os.path.isdir(opts.image_path):
        raise RuntimeFailure(f"--image-path {opts.image_path}: no such directory")
    if not os.path.exists(os.path.join(opts.image_path, IMAGE_MARK)):
        raise RuntimeFailure(f"--image-path {opts.image_path}: not a CRIU checkpoint (no {IMAGE_MARK})")
    if (opts.lsm_profile or opts.lsm_mount_context) and swrk.version(criu) < LSM_MIN_CRIU:
        raise RuntimeFailure("--lsm-profile and --lsm-mount-context need CRIU "
                             f"{'.'.join(map(str, LSM_MIN_CRIU[:2]))} or later")
    bundle = os.path.abspath(bundle)
    config = load_config(bundle)
    if "root" not in config or "process" not in config:
        from ..errors import ConfigError
        raise ConfigError("root" if "root" not in config else "process", "required to restore a container")
    config["mounts"] = [dict(m, source=os.path.join(bundle, m["source"])) if _is_bind(m) and "source" in m else m
                        for m in config.get("mounts", ())]
    terminal = bool(config["process"].get("terminal"))
    if terminal and not (console_socket or console):
        raise RuntimeFailure("cannot allocate tty if the runtime will detach without setting console socket")
    if console_socket and not terminal:
        raise RuntimeFailure("cannot use console socket if the runtime will not detach or allocate tty")
    c = StateDir.make(root, container_id)
    mgr = None
    init_pid = 0
    sock = None
    try:
        rootfs = os.path.join(bundle, config["root"]["path"])
        # the durable record's steps as `create` takes them (container/state.py)
        c.state = {"id": container_id, "bundle": bundle, "rootfs": rootfs,
                   "created": time.strftime("%Y-%m-%dT%H:%M:%S.000000000Z", time.gmtime()),
                   "annotations": config.get("annotations", {}), "config": config, "creating": True}
        mgr = _plan_cgroup(c, config, systemd_cgroup)
        c.save(recovery=True)
        mgr = _make_cgroup(c, mgr, config)
        sock = connect_console_socket(console_socket) if console_socket else console
        init_pid = _restore(c, criu, opts, mgr, sock)
        info = process_start_time(init_pid)
        if info is None:
            raise RuntimeFailure("the restored container's init exited at once")
        c.state["pid"] = init_pid
        c.state["init_start_time"] = info[1]
        del c.state["creating"]
        c.save(recovery="cgroup" not in c.state)
        if pid_file:
            write_pid_file(pid_file, init_pid)
    except BaseException:
        if mgr:
            _kill_restored(mgr, init_pid)
            mgr.destroy()
        elif init_pid:
            _kill_restored(None, init_pid)
        c.remove()
        raise
    finally:
        if sock is not None and console_socket:
            sock.close()
    c.close()
    return init_pid


def _kill_restored(mgr, init_pid):
    import _signal
    if mgr:
        try:
            mgr.thaw()
            mgr.kill_all(_signal.SIGKILL)
        except RuntimeFailure:
            pass
    if init_pid:
        try:
            os.kill(init_pid, _signal.SIGKILL)
            os.waitpid(init_pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
    if mgr:
        from ..cgroups.base import wait_until
        try:
            wait_until(lambda: not mgr.pids(), "the restored processes to exit")
        except RuntimeFailure:
            pass


def _restore(c, criu, opts, mgr, console):
    """Run CRIU's RESTORE; the restored init's pid. CRIU runs in a mount namespace made
    for it (restore_mounts.PrivateMounts) with the rootfs bound where CRIU wants it and
    the bind mounts in place: nothing to undo on the host afterwards."""
    from . import restore_mounts as mounts
    config = c.state["config"]
    criu_root = os.path.join(c.dir, "criu-root")
    os.mkdir(criu_root, 0o755)
    try:
        with mounts.PrivateMounts():
            mounts.bind(c.state["rootfs"], criu_root, recursive=True)
            mounts.prepare_restore_mounts(config, criu_root)
            return _run_restore(c, criu, opts, mgr, console, criu_root)
    finally:
        os.rmdir(criu_root)


def _run_restore(c, criu, opts, mgr, console, criu_root):
    from ..criu import rpc, swrk
    from . import restore_mounts as mounts
    config = c.state["config"]
    images_fd = _open_dir(opts.image_path, "--image-path", create=False)
    work_fd = _open_dir(opts.work_path, "--work-path", create=True) if opts.work_path else -1
    ns_fds = []
    try:
        req_opts = opts.common(images_fd, work_fd, "restore.log")
        req_opts.update(evasive_devices=True, rst_sibling=True, root=criu_root)
        req_opts["inherit_fd"], ns_fds = _inherited(opts.image_path, config)
        req_opts["ext_mnt"] = _restore_external_mounts(config, mgr)
        if opts.lsm_profile:
            req_opts["lsm_profile"] = opts.lsm_profile  # the restored tasks' label instead of the dumped one
        if opts.lsm_mount_context:
            req_opts["lsm_mount_context"] = opts.lsm_mount_context  # context= of the restored mounts
        hooks = config.get("hooks") or {}
        restored = {}

        def on_notify(script, pid, fds):
            if script == "setup-namespaces" and (hooks.get("prestart") or hooks.get("createRuntime")):
                from .hooks import run_hooks
                from .lifecycle import _state_json
                c.state["pid"] = pid
                state = _state_json(c, "creating")
                run_hooks("prestart", hooks, state)
                run_hooks("createRuntime", hooks, state)
            elif script == "orphan-pts-master" and fds:
                _pass_console(console, fds[0])
            elif script == "post-restore":
                restored["pid"] = pid
            elif script == "status-ready":
                _signal_status_fd(opts)

        def join_cgroup(pid):
            if mgr:
                mounts.join_cgroup(mgr, pid)
                req_opts["cg_root"] = cgroup_roots(pid)

        session = swrk.Session(criu, pass_fds=ns_fds, on_start=join_cgroup, log_path=opts.log_path("restore.log"))
        try:
            resp = session.call({"type": rpc.RESTORE, "opts": req_opts}, on_notify)
        finally:
            status = session.finish()
        pid = (resp.get("restore") or {}).get("pid") or restored.get("pid", 0)
        if status or not pid:
            if pid:
                _kill_restored(mgr, pid)
            session.fail(f"exited with status {os.waitstatus_to_exitcode(status)} after the restore")
        return pid
    finally:
        os.close(images_fd)
        if work_fd >= 0:
            os.close(work_fd)
        for fd in ns_fds:
            os.close(fd)


def cgroup_roots(pid):
    """CRIU's cg_root: the cgroup (per v1 hierarchy; one for cgroup2) that pid is in,
    where CRIU puts the restored tree's root instead of the dumped one's (the config's
    cgroupsPath may differ from the checkpointed container's: a new id)."""
    roots = []
    with open(f"/proc/{pid}/cgroup") as f:
        for line in f:
            _, ctrls, path = line.rstrip("\n").split(":", 2)
            roots.append({"ctrl": ctrls, "path": path} if ctrls else {"path": path})
    return roots


def _pass_console(console, master):
    """The restored pty's master: to the --console-socket listener (or `restore`'s own
    terminal proxy), as the init passed it on create."""
    if console is None:
        return
    from .._core import lib
    if lib.oci_send_fd(console.fileno(), master, b"/dev/console") < 0:
        raise RuntimeFailure("cannot send the restored pty master to the console socket")


def _inherited(image_path, config):
    """(inherit_fd entries, fds to pass): the checkpointed init's stdio pipes are
    replaced by our own fds 0-2; namespaces joined by path by fds opened here."""
    entries, fds = [], []
    try:
        with open(os.path.join(image_path, DESCRIPTORS), "rb") as f:
            names = jsonio.loads(f.read())
    except (OSError, ValueError):
        names = []
    for fd, name in enumerate(names if isinstance(names, list) else ()):
        if isinstance(name, str) and name.startswith(("pipe:", "file[")):
            entries.append({"key": name, "fd": fd})
    for ns in config.get("linux", {}).get("namespaces", ()):
        if ns.get("path") and ns["type"] in _EXTERNAL_NS:
            try:
                fd = os.open(ns["path"], os.O_RDONLY | os.O_CLOEXEC)
            except OSError as e:
                for opened in fds:
                    os.close(opened)
                raise RuntimeFailure(f"{ns['type']} namespace {ns['path']}: {e.strerror}") from None
            fds.append(fd)
            entries.append({"key": _EXTERNAL_NS[ns["type"]][1], "fd": fd})
    return entries, fds


def _restore_external_mounts(config, mgr):
    """On restore each external mount's key maps to where it comes from on the host
    (a cgroup bind: the container's new cgroup)."""
    ext = []
    for m in _external_mounts(config):
        if m.get("type") == "cgroup":
            if mgr is None or mgr.placement()[1] is None:
                raise RuntimeFailure("restore: a cgroup mount without a cgroup namespace needs cgroup v2")
            ext.append({"key": _mount_key(m["destination"]), "val": mgr.placement()[1]})
        else:
            ext.append({"key": _mount_key(m["destination"]), "val": m["source"]})
    if config.get("linux", {}).get("maskedPaths"):
        ext.append({"key": "/dev/null", "val": "/dev/null"})
    ext += [{"key": p, "val": p} for p in _device_paths(config)]
    return ext
