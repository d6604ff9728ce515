"""The container lifecycle: create, start, run, kill, delete, state, list.

Python decides and records; the C core (ociruntime._core) does everything between
clone() and execve(). The runtime <-> init protocol is in csrc/spawn.c."""
import _signal as signal
import os
import time

from .. import SPEC_VERSION, jsonio
from ..errors import ConfigError, InvalidArgument, NotFound, RuntimeFailure, SpawnError, StateDamaged, WrongState
from .state import StateDir, process_start_time, write_pid_file


def _state_json(c, status):
    s = c.state
    return jsonio.dumps({"ociVersion": SPEC_VERSION, "id": c.id, "status": status, "pid": s.get("pid", 0),
                       "bundle": s["bundle"], "annotations": s.get("annotations", {})})


def public_state(c):
    """The runtime-spec state, with runc's extra fields."""
    status = c.status()
    s = c.state
    return {"ociVersion": SPEC_VERSION, "id": c.id, "pid": s.get("pid", 0) if status != "stopped" else 0,
            "status": status, "bundle": s["bundle"], "rootfs": s["rootfs"], "created": s["created"],
            "owner": "", "annotations": s.get("annotations", {})}


def _wait_exit(pid, timeout=None):
    """Wait until a pid (not necessarily our child) exits; True if it did (csrc/container.c)."""
    from .._core import lib
    return bool(lib.oci_wait_exit(pid, -1 if timeout is None else int(timeout * 1000)))


def _wait_dead_or_exiting(pid, timeout):
    """Wait until a SIGKILLed pid is gone or exiting (PF_EXITING: it runs no more user
    code); the front door's own C (csrc/container.c), so both paths agree."""
    from .._core import lib
    return bool(lib.oci_wait_dead_or_exiting(pid, int(timeout * 1000)))


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


def _plan_cgroup(c, config, systemd):
    """The container's cgroup manager, its record in the state (nothing made yet)."""
    from ..cgroups import open_manager
    mgr = open_manager(config.get("linux", {}).get("cgroupsPath"), c.id, systemd=systemd,
                       annotations=config.get("annotations"))
    c.state["cgroup"] = mgr.to_state()
    return mgr


def _make_cgroup(c, mgr, config):
    """Make the recorded cgroup; None for a rootless container that may not make one
    (as runc: fine unless linux.resources asks for limits, which then fail)."""
    from ..cgroups import resources_for_spec
    lin = config.get("linux", {})
    try:
        mgr.create(resources_for_spec(lin))
    except RuntimeFailure:
        limits = {k: v for k, v in (lin.get("resources") or {}).items() if v and k != "devices"}
        if os.geteuid() == 0 or limits:
            raise
        del c.state["cgroup"]
        return None
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
    spawn = mgr = intent = None
    net_record = None
    try:
        c.state = {"id": container_id, "bundle": bundle, "rootfs": os.path.join(bundle, config["root"]["path"]),
                   "created": time.strftime("%Y-%m-%dT%H:%M:%S.000000000Z", time.gmtime()),
                   "annotations": config.get("annotations", {}), "config": config, "creating": True}
        mgr = _plan_cgroup(c, config, systemd_cgroup)
        intent = _network_intent(config)
        if intent:
            c.state["network"] = intent
        c.save(recovery=True)  # step 1: before anything that can outlive this call is made
        if trace:
            trace("record")
        mgr = _make_cgroup(c, mgr, config)
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
        # step 2: the init, before its mounts, network and hooks (`state` for them); into
        # recovery.json only without a cgroup: with one, the cgroup's kill finds the init
        c.save(recovery="cgroup" not in c.state)
        if trace:
            trace("pid recorded")
        spawn.expect("hooks")
        if trace:
            trace("mounts")
        net_record = _attach_network(c, config, ns, spawn.init_pid)
        if trace:
            trace("network")
        hooks = config.get("hooks", {})
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
        if net_record or intent:
            _detach_network(c, c.state["network"])
        if mgr:
            mgr.destroy()
        c.remove()
        raise
    return c


def wants_host_network(config):
    from ..network.annotations import MODE_HOST, NETWORK
    return (config.get("annotations") or {}).get(NETWORK) == MODE_HOST


def _network_intent(config):
    """What create will attach, recorded before it is (None: no networking asked for)."""
    from ..network.annotations import MODE_HOST, MODE_NONE, NETWORK, wants_network
    annotations = config.get("annotations") or {}
    if not wants_network(annotations):
        return None
    name = annotations[NETWORK].strip()
    return {"mode": name if name in (MODE_HOST, MODE_NONE) else "bridge", "network": name}


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


def _release_init(c, trace=None):
    """Release the waiting init (csrc/spawn.c wait_for_start) through the front door's
    own C (csrc/container.c oci_start_connect/oci_start_release): the state for
    startContainer hooks and the sealed exec stub go to it; it closes the connection by
    exec'ing, or answers first."""
    from .._core import ffi, lib
    sock = lib.oci_start_connect(c.dir_fd)
    if sock < 0:
        raise SpawnError(f"the container's init is gone: {os.strerror(-sock)}")
    if trace:
        trace("connected")
    reply = ffi.new("char[]", lib.OCI_REPLY_LEN)
    rc = lib.oci_start_release(sock, c.dir_fd, _state_json(c, "created").encode(), c.state["pid"], reply,
                               lib.OCI_REPLY_LEN)
    text = ffi.string(reply).decode(errors="replace")
    if rc < 0:
        raise SpawnError(f"start: {text}")
    if rc > 0:
        from .spawn import init_error
        raise SpawnError(init_error(text) if text.startswith("error ") else text)


def start(root, container_id, *, warn=None, trace=None):
    c = StateDir.load(root, container_id)
    try:
        status = c.status()
        if status != "created":
            raise WrongState(f"cannot start a container that is {status}" if status != "stopped"
                             else "cannot start a container that has stopped", status)
        if trace:
            trace("loaded")
        _release_init(c, trace)
        if trace:
            trace("released")
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
        if status == "creating":  # no init recorded yet, or one its create never finished
            raise WrongState(f"container {container_id} is creating: not killable (delete --force removes it)",
                             status)
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


def _kill_everything(c):
    """SIGKILL everything in the container's cgroup and its init (if the recorded pid is
    still the init: start times match), and wait for the init to be gone."""
    if c.state.get("cgroup"):
        mgr = c.cgroup()
        try:
            mgr.kill_all(signal.SIGKILL)
        except (RuntimeFailure, OSError):  # no freezer (half-made, or it would not freeze): unfrozen then
            for pid in mgr.pids():
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
    pid = c.state.get("pid", 0)
    if not pid or not c.init_alive():
        return
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    if not _wait_dead_or_exiting(pid, timeout=10):
        raise RuntimeFailure(f"container {c.id}: its init (pid {pid}) is still there 10 s after SIGKILL; "
                             f"its state dir {c.dir} is kept")


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


def destroy(c, warn, trace=None):
    """Free what the container held (its processes must be gone), then its state dir.
    Anything that cannot be freed keeps the state dir (a later delete --force tries
    again) and raises one RuntimeFailure naming all of it."""
    state = c.state
    left = []
    if state.get("network"):
        try:
            _detach_network(c, state["network"])
        except RuntimeFailure as e:
            left.append(f"its network endpoints ({e})")
        if trace:
            trace("network freed")
    if state.get("cgroup"):
        try:
            c.cgroup().destroy()
        except RuntimeFailure as e:
            left.append(f"its cgroup ({e})")
        if trace:
            trace("cgroup freed")
    if left:
        raise RuntimeFailure(f"container {c.id}: could not remove {'; '.join(left)}; its state dir {c.dir} is kept")
    hooks = state["config"].get("hooks", {}) if "config" in state else {}
    try:
        if hooks.get("poststop"):
            from .hooks import run_hooks
            run_hooks("poststop", hooks, _state_json(c, "stopped"), warn=warn)
    finally:
        c.remove(trace)


def delete(root, container_id, *, force=False, warn=None, trace=None):
    """Returns the pid the init had (0: none was recorded, or force and no container):
    the caller reaps it if it is its child. A container whose create was killed
    ("creating", its creator gone: delete waits for the lock a live one holds) is
    deleted as a created one is; one whose state.json is damaged only with force, from
    recovery.json. Returns only when nothing of the container is left."""
    try:
        c = StateDir.load_for_removal(root, container_id)
    except NotFound:
        if force:
            return 0
        raise
    try:
        if c.damaged and c.state and not force:
            raise StateDamaged(container_id, f"{c.damaged.why} (delete --force removes the container)")
        if trace:
            trace("loaded")
        status = "damaged" if c.damaged else c.status()
        if status in ("running", "paused") and not force:
            raise WrongState(f"cannot delete container {container_id} that is not stopped: {status}", status)
        if status == "stopped":
            _signal_leftovers(c, signal.SIGKILL)
        else:  # the kill also covers what a damaged record's container left in its cgroup
            _kill_everything(c)
        if trace:
            trace("killed")
        destroy(c, warn, trace)
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
            c.save(recovery=True)  # delete --force frees its endpoints even from a damaged state.json
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
