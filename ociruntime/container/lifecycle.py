"""The container lifecycle: create, start, run, kill, delete, state, list.

Python decides and records; the C core (ociruntime._core) does everything between
clone() and execve(). The runtime <-> init protocol is in csrc/spawn.c."""
import _signal as signal
import os
import sys
import time

from .. import SPEC_VERSION, jsonio
from ..errors import ConfigError, InvalidArgument, NotFound, RuntimeFailure, SpawnError, WrongState
from .state import START_SOCKET, StateDir, process_start_time, write_pid_file


def _state_json(c, status):
    s = c.state
    return jsonio.dumps({"ociVersion": SPEC_VERSION, "id": c.id, "status": status, "pid": s.get("pid", 0),
                       "bundle": s["bundle"], "annotations": s.get("annotations", {})})


def public_state(c):
    """The runtime-spec state, with runc's extra fields."""
    status = c.status()
    s = c.state
    return {"ociVersion": SPEC_VERSION, "id": c.id, "pid": s["pid"] if status != "stopped" else 0,
            "status": status, "bundle": s["bundle"], "rootfs": s["rootfs"], "created": s["created"],
            "owner": "", "annotations": s.get("annotations", {})}


def _wait_exit(pid, timeout=None):
    """Wait until a pid (not necessarily our child) exits; True if it did."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        import select
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        return bool(poller.poll(None if timeout is None else int(timeout * 1000)))
    finally:
        os.close(fd)


def wait_init(pid, timeout=None):
    """Wait for a live init to exit: its exit code (128+N when killed by signal N) if it
    is the caller's child (reaped here), else None. TimeoutError after timeout s."""
    if not _wait_exit(pid, timeout):
        raise TimeoutError(f"the container's init {pid} is still running after {timeout}s")
    return reap_if_child(pid)


def reap_if_child(pid):
    """The exit code of the caller's exited child `pid` (reaped now); None if not a child."""
    try:
        wpid, status = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return None
    if not wpid:
        return None
    from .signals import exit_code
    return exit_code(status)


def _write_id_maps(pid, config):
    lin = config.get("linux", {})
    for kind in ("uid", "gid"):
        maps = lin.get(f"{kind}Mappings") or []
        if not maps:
            raise ConfigError(f"linux.{kind}Mappings", f"a user namespace needs {kind} mappings")
        text = "".join(f"{m['containerID']} {m['hostID']} {m['size']}\n" for m in maps)
        try:
            if kind == "gid" and os.geteuid() != 0:  # the kernel's condition for an unprivileged gid_map
                with open(f"/proc/{pid}/setgroups", "w") as f:
                    f.write("deny")
            with open(f"/proc/{pid}/{kind}_map", "w") as f:
                f.write(text)
        except OSError as e:
            raise ConfigError(f"linux.{kind}Mappings", e.strerror) from None


def _check_id_mappings(config, ns):
    lin = config.get("linux", {})
    if (lin.get("uidMappings") or lin.get("gidMappings")) and "user" not in ns:
        raise ConfigError("linux.uidMappings", "mappings given without a user namespace")


def _require_fields(config):
    """The schema lets these be absent (other platforms, `exec`-only bundles); a Linux
    container needs them, as in runc."""
    for field in ("process", "root"):
        if field not in config:
            raise ConfigError(field, "required to create a container")


def _setup_cgroup(c, config, systemd):
    """The container's cgroup; None for a rootless container that may not make one
    (as runc: fine unless linux.resources asks for limits, which then fail)."""
    from ..cgroups import open_manager, resources_for_spec
    lin = config.get("linux", {})
    mgr = open_manager(lin.get("cgroupsPath"), c.id, systemd=systemd, annotations=config.get("annotations"))
    try:
        mgr.create(resources_for_spec(lin))
    except RuntimeFailure:
        limits = {k: v for k, v in (lin.get("resources") or {}).items() if v and k != "devices"}
        if os.geteuid() == 0 or limits:
            raise
        return None
    c.state["cgroup"] = mgr.to_state()
    return mgr


def _cgroup_mounts(mgr, ns):
    def expand(mount):
        if mgr is None:
            raise ConfigError("mounts", f"{mount['destination']}: a cgroup mount needs a cgroup, "
                              "and this rootless container may not create one")
        return mgr.container_mounts(mount, "cgroup" in ns and ns["cgroup"] is None)
    return expand


def _listen_fds():
    """The fds a socket-activated runtime got (sd_listen_fds(3): LISTEN_FDS from fd 3):
    they go on to the container, after the --preserve-fds ones are counted in."""
    value = os.environ.get("LISTEN_FDS", "")
    if not value:
        return 0
    if not value.isdigit():
        raise InvalidArgument(f"invalid LISTEN_FDS in the environment: {value!r}")
    return int(value)


def create(root, container_id, bundle, *, pid_file=None, console_socket=None, console=None, no_pivot=False,
           preserve_fds=0, warn=None, trace=None, systemd_cgroup=False):
    """`create`: the init waits on its start socket when this returns.
    On any failure nothing is left: no process, cgroup, network or state dir."""
    from ..spec.config import load_config
    from ..spec.plan import build_create_plan, host_mount_ns_skips, namespaces, set_cgroup_placement
    from .console import connect_console_socket
    from .spawn import Spawn

    bundle = os.path.abspath(bundle)
    config = load_config(bundle)
    if wants_host_network(config):
        lin = config.setdefault("linux", {})
        lin["namespaces"] = [n for n in lin.get("namespaces", []) if n["type"] != "network"]
    if trace:
        trace("config")
    _require_fields(config)
    proc = config["process"]
    if not proc.get("terminal"):
        console = None  # `run` offers one in case the config wants a tty
    if proc.get("terminal") and not (console_socket or console):
        raise RuntimeFailure("cannot allocate tty if the runtime will detach without setting console socket")
    if console_socket and not proc.get("terminal"):
        raise RuntimeFailure("cannot use console socket if the runtime will not detach or allocate tty")
    ns = namespaces(config)
    _check_id_mappings(config, ns)
    skipped = host_mount_ns_skips(config) if "mount" not in ns else []
    if skipped and warn:
        warn(f"config.json: {', '.join(skipped)}: not set up: without a mount namespace of its own "
             "the container shares the host's mount table, which is never changed")
    listen_fds = _listen_fds()
    preserve_fds += listen_fds

    c = StateDir.make(root, container_id)
    spawn = mgr = None
    net_record = None
    try:
        c.state = {"id": container_id, "bundle": bundle, "rootfs": os.path.join(bundle, config["root"]["path"]),
                   "created": time.strftime("%Y-%m-%dT%H:%M:%S.000000000Z", time.gmtime()),
                   "annotations": config.get("annotations", {}), "config": config}
        mgr = _setup_cgroup(c, config, systemd_cgroup)
        if trace:
            trace("cgroup")
        console = connect_console_socket(console_socket) if console_socket else console
        plan = build_create_plan(
            config, bundle, state_dir_fd=c.dir_fd, console_fd=console.fileno() if console else -1,
            preserve_fds=preserve_fds, listen_fds=listen_fds, no_pivot=no_pivot,
            cgroup_mounts=_cgroup_mounts(mgr, ns))
        set_cgroup_placement(plan, mgr)
        for warning in plan.warnings if warn else ():
            warn(warning)
        if trace:
            trace("plan")
        spawn = Spawn(plan)
        if console:
            console.close()
            console = None
        userns = "user" in ns and ns["user"] is None

        def before_go(stage1_pid):
            if mgr:
                mgr.enter(stage1_pid)
                if trace:
                    trace("cgroup enter")
            if userns:
                _write_id_maps(stage1_pid, config)
        spawn.release_stage1(before_go, trace)
        if trace:
            trace("clone")
        c.state["pid"] = spawn.init_pid
        init_info = process_start_time(spawn.init_pid)
        if init_info is None:
            raise SpawnError("container init exited during set-up")
        c.state["init_start_time"] = init_info[1]
        spawn.expect("hooks")
        if trace:
            trace("mounts")
        net_record = _attach_network(c, config, ns, spawn.init_pid)
        if trace:
            trace("network")
        hooks = config.get("hooks", {})
        c.state["creating"] = True
        c.save()  # for `state` while the hooks run (they may ask it)
        # the hooks get "created" (the spec's lifecycle: create is done after step 2, and
        # the OCI validation suite checks prestart's); the seccomp listener "creating" as from runc
        created = _state_json(c, "created")
        if hooks.get("prestart") or hooks.get("createRuntime"):
            from .hooks import run_hooks
            run_hooks("prestart", hooks, created)
            run_hooks("createRuntime", hooks, created)
        spawn.send("state " + _state_json(c, "creating") + "\n" + created)
        spawn.expect("ready")
        if trace:
            trace("init ready")
        del c.state["creating"]
        c.save()
        if pid_file:
            write_pid_file(pid_file, spawn.init_pid)
        spawn.close()
        if trace:
            trace("state written")
    except BaseException:
        if console:
            console.close()
        if spawn:
            spawn.abort()
        if net_record:
            _detach_network(c, net_record)
        if mgr:
            mgr.destroy()
        c.remove()
        raise
    return c


def wants_host_network(config):
    from ..network.annotations import MODE_HOST, NETWORK
    return (config.get("annotations") or {}).get(NETWORK) == MODE_HOST


def _attach_network(c, config, ns, pid):
    """Bridge networking asked for by annotations (ociruntime/network/README.md)."""
    from ..network.annotations import MODE_HOST, NETWORK, wants_network
    annotations = config.get("annotations") or {}
    if not wants_network(annotations):
        return None  # `lo` is already up: the init did it (csrc/namespaces.c)
    from .. import network
    if annotations[NETWORK] != MODE_HOST and ("network" not in ns or ns["network"] is not None):
        raise ConfigError("annotations", f"{NETWORK} needs a new network namespace")
    record = network.attach(c.id, pid, annotations)
    c.state["network"] = record
    return record


def _detach_network(c, record):
    from .. import network
    network.detach(c.id, record)


def _send_with_exec_stub(sock, data):
    """data, with the sealed exec stub (csrc/spawn.c oci_exec_stub_memfd) riding on its
    first bytes: made now, so the init holds no such fd while it waits for start."""
    import _socket
    from .._core import lib
    stub = lib.oci_exec_stub_memfd()
    if stub < 0:
        sock.sendall(data)
        return
    try:
        sent = sock.sendmsg([data], [(_socket.SOL_SOCKET, _socket.SCM_RIGHTS, stub.to_bytes(4, sys.byteorder))])
    finally:
        os.close(stub)
    sock.sendall(data[sent:])


def _release_init(c):
    """Connect to the waiting init's start socket (csrc/spawn.c wait_for_start) and hand
    it the state for startContainer hooks, and the exec stub; it closes the connection
    by exec'ing (its end is close-on-exec), or answers "error ..." first."""
    import _socket
    sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        # via the dir fd: a state dir path may exceed sun_path's 108 bytes
        sock.connect(f"/proc/self/fd/{c.dir_fd}/{START_SOCKET}")
    except OSError as e:
        sock.close()
        raise SpawnError(f"the container's init is gone: {e.strerror}") from None
    try:
        os.unlink(START_SOCKET, dir_fd=c.dir_fd)
        _send_with_exec_stub(sock, _state_json(c, "created").encode())
        sock.shutdown(_socket.SHUT_WR)
        reply = b""
        while chunk := sock.recv(4096):
            reply += chunk
    finally:
        sock.close()
    if reply:
        from .spawn import init_error
        text = reply.decode(errors="replace")
        raise SpawnError(init_error(text) if text.startswith("error ") else text)


def start(root, container_id, *, warn=None):
    c = StateDir.load(root, container_id)
    try:
        status = c.status()
        if status != "created":
            raise WrongState(f"cannot start a container that is {status}" if status != "stopped"
                             else "cannot start a container that has stopped", status)
        _release_init(c)
        hooks = c.state["config"].get("hooks", {})
        if hooks.get("poststart"):
            from .hooks import run_hooks
            run_hooks("poststart", hooks, _state_json(c, "running"), warn=warn)
    finally:
        c.close()


def kill(root, container_id, sig, *, all_processes=False):
    c = StateDir.load(root, container_id)
    try:
        status = c.status()
        if status == "stopped" and not all_processes:
            raise WrongState("container not running", status)
        if status == "stopped":
            _signal_leftovers(c, sig)
        elif all_processes:
            mgr = c.cgroup()
            if sig == signal.SIGKILL and status == "paused":
                mgr.thaw()
            mgr.kill_all(sig)
        else:
            os.kill(c.state["pid"], sig)
    finally:
        c.close()


def _kill_init_and_wait(c):
    """SIGKILL everything in the container and wait for the init to be gone."""
    mgr = c.cgroup() if c.state.get("cgroup") else None
    if mgr:
        try:
            mgr.kill_all(signal.SIGKILL)
            mgr.thaw()
        except RuntimeFailure:
            pass
    try:
        os.kill(c.state["pid"], signal.SIGKILL)
    except ProcessLookupError:
        pass
    _wait_exit(c.state["pid"], timeout=10)


def _signal_leftovers(c, sig):
    """A stopped container's processes can outlive its init when the pid namespace is not its own
    (`--pid host`): as runc, `kill --all` and `delete` signal what is still in its cgroup."""
    if not c.state.get("cgroup") or _owns_pid_namespace(c.state["config"]):
        return  # the kernel killed the whole pid namespace with its init
    mgr = c.cgroup()
    if mgr.pids():
        mgr.kill_all(sig)


def _owns_pid_namespace(config):
    return any(ns["type"] == "pid" and not ns.get("path") for ns in config.get("linux", {}).get("namespaces", ()))


def destroy(c, warn):
    """Free what the container held (it must be stopped), then its state."""
    state = c.state
    if state.get("network"):
        _detach_network(c, state["network"])
    if state.get("cgroup"):
        c.cgroup().destroy()
    hooks = state["config"].get("hooks", {})
    try:
        if hooks.get("poststop"):
            from .hooks import run_hooks
            run_hooks("poststop", hooks, _state_json(c, "stopped"), warn=warn)
    finally:
        c.remove()


def delete(root, container_id, *, force=False, warn=None):
    """Returns the pid the init had (0: none was recorded, or force and no container):
    the caller reaps it if it is its child."""
    try:
        c = StateDir.load(root, container_id)
    except NotFound:
        if force:
            return 0
        raise
    try:
        status = c.status()
        if status in ("running", "paused") and not force:
            raise WrongState(f"cannot delete container {container_id} that is not stopped: {status}", status)
        if status != "stopped":
            _kill_init_and_wait(c)
        else:
            _signal_leftovers(c, signal.SIGKILL)
        destroy(c, warn)
        return c.state.get("pid", 0)
    finally:
        c.close()


def pid_for_network(root, container_id):
    """The init pid of a live container about to be `network connect`ed; its state
    notes that `delete` must detach it."""
    c = StateDir.load(root, container_id)
    try:
        if c.status() not in ("created", "running", "paused"):
            raise WrongState(f"container {container_id} is not running", c.status())
        if not c.state.get("network"):
            c.state["network"] = {"mode": "connected"}
            c.save()
        return c.state["pid"]
    finally:
        c.close()


def state(root, container_id):
    c = StateDir.load(root, container_id, locked=False)
    try:
        return public_state(c)
    finally:
        c.close()


def owner(root, container_id):
    """Who owns the state dir, by name ("#UID" without one): runc's `list` OWNER."""
    import pwd
    uid = os.stat(os.path.join(root, container_id)).st_uid
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"#{uid}"
