"""Translate a validated config.json into the C plan (struct oci_plan).

Everything the kernel will be asked happens in C; every decision about what to ask
is made here, where errors can name the config field they come from."""
import os

from .. import linux
from ..errors import ConfigError

DEFAULT_DEVICES = (
    ("/dev/null", 1, 3), ("/dev/zero", 1, 5), ("/dev/full", 1, 7),
    ("/dev/random", 1, 8), ("/dev/urandom", 1, 9), ("/dev/tty", 5, 0),
)
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


class Plan:
    """A struct oci_plan and every cdata it points to (kept alive with it)."""

    def __init__(self):
        from .._core import ffi
        self.ffi = ffi
        self.c = ffi.new("struct oci_plan *")
        self._keep = []
        self.warnings = []  # for the command's log: what was left out, and why

    def string(self, s):
        if s is None:
            return self.ffi.NULL
        buf = self.ffi.new("char[]", s.encode())
        self._keep.append(buf)
        return buf

    def strings(self, items):
        """A NULL-terminated char ** (and its length)."""
        arr = self.ffi.new("char *[]", len(items) + 1)
        for i, s in enumerate(items):
            arr[i] = self.string(s)
        self._keep.append(arr)
        return arr, len(items)

    def limit(self, name):
        """A fixed size of the C side (csrc/ociruntime.h), e.g. OCI_MAX_JOINS."""
        from .._core import lib
        return getattr(lib, name)

    def array(self, ctype, n):
        arr = self.ffi.new(f"{ctype}[]", max(n, 1))
        self._keep.append(arr)
        return arr


class MountOptions:
    """A mount's options, read as runc 1.2 reads them: MS_* flags for mount(2), the
    propagation, the fs-specific data, the mount_setattr(2) attributes of the recursive
    options (set and cleared, AT_RECURSIVE) and "idmap"/"ridmap" (None: neither).
    A plain class: typing's NamedTuple would cost `create` its import."""
    __slots__ = ("flags", "propagation", "data", "rec_set", "rec_clear", "idmap")

    def __init__(self, flags, propagation, data, rec_set, rec_clear, idmap):
        self.flags, self.propagation, self.data = flags, propagation, data
        self.rec_set, self.rec_clear, self.idmap = rec_set, rec_clear, idmap


def parse_mount_options(options):
    """A mount's options (config order: a later option overrides an earlier one)."""
    flags = propagation = rec_set = rec_clear = 0
    data, idmap = [], None
    for opt in options or ():
        if opt in linux.MOUNT_FLAGS:
            clear, flag = linux.MOUNT_FLAGS[opt]
            flags = flags & ~flag if clear else flags | flag
        elif opt in linux.PROPAGATION:
            propagation |= linux.PROPAGATION[opt]
        elif opt in linux.RECURSIVE_MOUNT_ATTRS:
            clear, attr = linux.RECURSIVE_MOUNT_ATTRS[opt]
            if clear:
                rec_clear, rec_set = rec_clear | attr, rec_set & ~attr
            else:
                rec_set, rec_clear = rec_set | attr, rec_clear & ~attr
            if attr & linux.MOUNT_ATTR__ATIME == attr:  # an atime setting replaces the whole field
                rec_clear |= linux.MOUNT_ATTR__ATIME
        elif opt in ("idmap", "ridmap"):
            idmap = opt
        else:
            data.append(opt)
    return MountOptions(flags, propagation, ",".join(data) or None, rec_set, rec_clear, idmap)


def namespaces(config):
    """{type: path or None} from linux.namespaces; a type not listed is the runtime's own."""
    result = {}
    for i, ns in enumerate(config.get("linux", {}).get("namespaces", [])):
        if ns["type"] in result:
            raise ConfigError(f"linux.namespaces[{i}]", f"duplicate namespace {ns['type']!r}")
        result[ns["type"]] = ns.get("path") or None
    return result


def host_mount_ns_skips(config):
    """The fields a container without a mount namespace does not get: the host's mount
    table is never changed for it (runc mounts into it and leaves the mounts behind)."""
    _refuse_without_mount_ns(config)
    fields = (("mounts", config.get("mounts")), ("linux.devices", config.get("linux", {}).get("devices")))
    return [name for name, value in fields if value]


def _refuse_without_mount_ns(config):
    lin = config.get("linux", {})
    for field in ("maskedPaths", "readonlyPaths", "rootfsPropagation"):
        if lin.get(field):
            raise ConfigError(f"linux.{field}", "needs a mount namespace of the container's own")
    if config["root"].get("readonly"):
        raise ConfigError("root.readonly", "needs a mount namespace of the container's own")


def _set_namespaces(p, ns):
    flags = 0
    joins = [(t, path) for t, path in ns.items() if path]
    if len(joins) > p.limit("OCI_MAX_JOINS"):
        raise ConfigError("linux.namespaces", f"at most {p.limit('OCI_MAX_JOINS')} namespaces can be joined")
    for t, path in ns.items():
        if not path:
            flags |= linux.NAMESPACES[t]
    p.c.clone_flags = flags
    p.c.joins = arr = p.array("struct oci_join_ns", len(joins))
    for i, (t, path) in enumerate(joins):
        if not os.path.exists(path):
            raise ConfigError("linux.namespaces", f"{t} namespace path {path} does not exist")
        arr[i].type = linux.NAMESPACES[t]
        arr[i].path = p.string(path)
    p.c.n_joins = len(joins)


def _set_time_offsets(p, config):
    offsets = config.get("linux", {}).get("timeOffsets")
    if not offsets:
        return
    mono, boot = offsets.get("monotonic", {}), offsets.get("boottime", {})
    p.c.time_offsets = [mono.get("secs", 0), mono.get("nanosecs", 0), boot.get("secs", 0), boot.get("nanosecs", 0)]
    p.c.has_time_offsets = 1


def _expand_mounts(config, bundle, cgroup_mounts):
    """config mounts with bind sources made absolute and "cgroup" mounts expanded."""
    result = []
    for i, m in enumerate(config.get("mounts", [])):
        if m.get("type") == "cgroup":
            result.extend(dict(step, config_index=i) for step in cgroup_mounts(m))
            continue
        m = dict(m, config_index=i)
        src = m.get("source")
        is_bind = m.get("type") == "bind" or any(o in ("bind", "rbind") for o in m.get("options", ()))
        if is_bind:
            if not src:
                raise ConfigError(f"mounts[{i}]", "a bind mount needs a source")
            m["source"] = os.path.join(bundle, src)
            m["bind"] = True
        result.append(m)
    return result


def _id_map_lines(mappings):
    return "".join(f"{m['containerID']} {m['hostID']} {m['size']}\n" for m in mappings)


def _set_idmapping(p, mount, m, idmap, config, where):
    """An idmapped bind mount (runtime-spec 1.2): the mount's uidMappings/gidMappings,
    or else the container's own (a user namespace's); "ridmap": on every submount too."""
    uid_maps, gid_maps = m.get("uidMappings"), m.get("gidMappings")
    if not m.get("bind"):
        raise ConfigError(where, "idmapped mounts must be bind mounts")
    if bool(uid_maps) != bool(gid_maps):
        raise ConfigError(where, "uidMappings and gidMappings must be given together")
    if not uid_maps:
        lin = config.get("linux", {})
        if "user" not in namespaces(config) or not lin.get("uidMappings"):
            raise ConfigError(where, f"{idmap} without uidMappings/gidMappings needs the container's user namespace "
                                     "mappings (linux.uidMappings/gidMappings)")
        uid_maps, gid_maps = lin["uidMappings"], lin.get("gidMappings") or lin["uidMappings"]
    mount.idmap_uid_map = p.string(_id_map_lines(uid_maps))
    mount.idmap_gid_map = p.string(_id_map_lines(gid_maps))
    mount.idmap_recursive = 1 if idmap == "ridmap" else 0


def _set_mounts(p, mounts, config):
    p.c.mounts = arr = p.array("struct oci_mount", len(mounts))
    userns = "user" in namespaces(config)
    for i, m in enumerate(mounts):
        where = f"mounts[{m.get('config_index', i)}] ({m['destination']})"
        if not m["destination"].startswith("/"):
            raise ConfigError(where, "destination must be an absolute path")
        opts = parse_mount_options(m.get("options"))
        flags, idmap = opts.flags, opts.idmap
        if not idmap and (m.get("uidMappings") or m.get("gidMappings")):
            idmap = "idmap"  # mappings without the option: still an idmapped mount (as runc)
        if idmap:
            _set_idmapping(p, arr[i], m, idmap, config, where)
        # in a user namespace (or idmapped) a bind source is opened before the namespace exists
        arr[i].open_tree = 1 if m.get("bind") and (userns or idmap) and not flags & linux.MS_REMOUNT else 0
        if m.get("bind"):
            flags |= linux.MS_BIND
            mtype = None
        else:
            mtype = m.get("type")
            if not mtype:
                raise ConfigError(where, "type is required for a non-bind mount")
        if os.path.normpath(m["destination"]) == "/dev" and flags & linux.MS_RDONLY:
            # as runc: /dev is mounted read-write so that mount points and device nodes can be
            # made in it, and remounted read-only at the end
            flags &= ~linux.MS_RDONLY
            p.c.dev_readonly = 1
        arr[i].source = p.string(m.get("source"))
        arr[i].destination = p.string(os.path.normpath(m["destination"]))
        arr[i].type = p.string(mtype)
        arr[i].flags = flags
        arr[i].propagation = opts.propagation
        arr[i].data = p.string(opts.data)
        arr[i].rec_attr_set = opts.rec_set
        arr[i].rec_attr_clr = opts.rec_clear
    p.c.n_mounts = len(mounts)


def _dev_is_host_bind(mounts):
    return any(m.get("bind") and os.path.normpath(m["destination"]) == "/dev" for m in mounts)


def _set_devices(p, config, mounts, userns):
    devices = []
    # a path is taken as runc cleans it: "/dev/mnt/" is /dev/mnt
    configured = [dict(d, path=os.path.normpath(d["path"])) for d in config.get("linux", {}).get("devices", [])]
    listed = {d["path"] for d in configured}
    if not _dev_is_host_bind(mounts):
        devices += [dict(path=path, type="c", major=ma, minor=mi, fileMode=0o666, uid=0, gid=0)
                    for path, ma, mi in DEFAULT_DEVICES if path not in listed]
        p.c.dev_links = 1
    devices += configured
    p.c.devices = arr = p.array("struct oci_device", len(devices))
    for i, d in enumerate(devices):
        dtype = d["type"]
        arr[i].path = p.string(d["path"])
        arr[i].type = ord("c" if dtype == "u" else dtype)
        arr[i].major = d.get("major", 0)
        arr[i].minor = d.get("minor", 0)
        arr[i].mode = d.get("fileMode", 0o666) & 0o7777
        arr[i].uid = d.get("uid", 0)
        arr[i].gid = d.get("gid", 0)
    p.c.n_devices = len(devices)
    p.c.bind_devices = 1 if userns else 0


_SYSCTL_NAMESPACE = (
    ("net.", "network"), ("kernel.msg", "ipc"), ("kernel.sem", "ipc"), ("kernel.shm", "ipc"),
    ("fs.mqueue.", "ipc"), ("kernel.hostname", "uts"), ("kernel.domainname", "uts"),
)


def _set_sysctl(p, config, ns):
    items = []
    for key, value in config.get("linux", {}).get("sysctl", {}).items():
        owner = next((n for prefix, n in _SYSCTL_NAMESPACE if key.startswith(prefix)), None)
        if owner is None:
            raise ConfigError("linux.sysctl", f"{key} is not in a separate kernel namespace")
        if owner not in ns:
            raise ConfigError("linux.sysctl", f"{key} needs a {owner} namespace of the container's own")
        items.append(key.replace(".", "/") + "=" + value)
    p.c.sysctl, p.c.n_sysctl = p.strings(items)


def _set_rootfs(p, config, bundle, ns):
    root = config["root"]
    rootfs = os.path.join(bundle, root["path"])
    if not os.path.isdir(rootfs):
        raise ConfigError("root.path", f"rootfs {rootfs} does not exist")
    p.c.rootfs = p.string(os.path.realpath(rootfs))
    p.c.rootfs_readonly = 1 if root.get("readonly") else 0
    prop = config.get("linux", {}).get("rootfsPropagation")
    p.c.rootfs_propagation = linux.PROPAGATION[prop] if prop else 0
    lin = config.get("linux", {})
    p.c.masked_paths, p.c.n_masked_paths = p.strings(lin.get("maskedPaths", []))
    p.c.readonly_paths, p.c.n_readonly_paths = p.strings(lin.get("readonlyPaths", []))
    for field in ("hostname", "domainname"):
        if config.get(field):
            if "uts" not in ns:
                raise ConfigError(field, "setting it needs a uts namespace")
            setattr(p.c, field, p.string(config[field]))


def cap_mask(names, where, last_cap):
    """(mask, the names this kernel lacks): as runc, a capability newer than the kernel
    (above cap_last_cap) is left out with a warning, so that engines' default lists work
    on older kernels; a name that is no capability at all is refused."""
    mask, unavailable = 0, []
    for name in names or ():
        num = linux.CAP_NUMBERS.get(name)
        if num is None:
            raise ConfigError(where, f"unknown capability {name!r}")
        if num <= last_cap:
            mask |= 1 << num
        elif name not in unavailable:
            unavailable.append(name)
    return mask, unavailable


def _runtime_bounding_set():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("CapBnd:"):
                return int(line.split()[1], 16)
    return ~0


def _last_cap():
    with open("/proc/sys/kernel/cap_last_cap") as f:
        return int(f.read())


def set_capabilities(p, caps, where="process.capabilities"):
    if caps is None:
        return
    last = _last_cap()
    sets = ("effective", "permitted", "inheritable", "bounding", "ambient")
    masks, unavailable = [], []
    for s in sets:
        mask, names = cap_mask(caps.get(s), f"{where}.{s}", last)
        masks.append(mask)
        unavailable += [n for n in names if n not in unavailable]
    if unavailable:
        p.warnings.append(f"config.json: {where}: ignoring {', '.join(unavailable)}: not known to this kernel")
    missing = (masks[1] | masks[3]) & ~_runtime_bounding_set()
    if missing:
        names = [linux.CAPABILITIES[i] for i in range(last + 1) if missing >> i & 1]
        raise ConfigError(where, f"{', '.join(names)} not in the runtime's own bounding set")
    p.c.caps = masks
    p.c.has_caps = 1


def unique_env(env):
    """process.env with each name once, at its first place with its last value: the
    environment runc builds by setting the entries one by one."""
    values = {}
    for entry in env:
        name, sep, _ = entry.partition("=")
        values[name if sep else entry] = entry
    return list(values.values())


def _refuse_nul(items, field):
    """A NUL byte would end the C string early: the kernel would get a shorter argument
    or variable than the config says (runc refuses it in env, Go's exec in args)."""
    for i, item in enumerate(items):
        if "\0" in item:
            raise ConfigError(f"{field}[{i}]", f"must not contain a NUL byte: {item!r}")


def set_process(p, proc, where="process"):
    """The process fields shared by create and exec."""
    args = proc.get("args") or []
    if not args:
        raise ConfigError(f"{where}.args", "must not be empty")
    _refuse_nul(args, f"{where}.args")
    _refuse_nul(proc.get("env", []), f"{where}.env")
    p.c.argv, _ = p.strings(args)
    p.c.envp, _ = p.strings(unique_env(proc.get("env", [])))
    if not proc.get("cwd", "/").startswith("/"):
        raise ConfigError(f"{where}.cwd", "must be an absolute path")
    p.c.cwd = p.string(proc.get("cwd", "/"))
    user = proc.get("user", {})
    p.c.uid = user.get("uid", 0)
    p.c.gid = user.get("gid", 0)
    gids = user.get("additionalGids", [])
    if len(gids) > p.limit("OCI_MAX_GIDS"):
        raise ConfigError(f"{where}.user.additionalGids", f"at most {p.limit('OCI_MAX_GIDS')} groups, got {len(gids)}")
    p.c.additional_gids = arr = p.array("unsigned int", len(gids))
    for i, g in enumerate(gids):
        arr[i] = g
    p.c.n_additional_gids = len(gids)
    p.c.umask = user.get("umask", -1)
    rlimits = proc.get("rlimits", [])
    p.c.rlimits = rarr = p.array("struct oci_rlimit", len(rlimits))
    for i, r in enumerate(rlimits):
        if r["type"] not in linux.RLIMITS:
            raise ConfigError(f"{where}.rlimits[{i}].type", f"unknown rlimit {r['type']!r}")
        if any(r["type"] == earlier["type"] for earlier in rlimits[:i]):  # the spec: MUST error
            raise ConfigError(f"{where}.rlimits[{i}].type", f"duplicate rlimit {r['type']!r}")
        rarr[i].resource = linux.RLIMITS[r["type"]]
        rarr[i].soft = r["soft"]
        rarr[i].hard = r["hard"]
    p.c.n_rlimits = len(rlimits)
    if "oomScoreAdj" in proc:
        p.c.oom_score_adj = proc["oomScoreAdj"]
        p.c.has_oom_score_adj = 1
    p.c.no_new_privileges = 1 if proc.get("noNewPrivileges") else 0
    if proc.get("apparmorProfile"):
        set_apparmor_profile(p, proc["apparmorProfile"], f"{where}.apparmorProfile")
    if proc.get("selinuxLabel"):
        raise ConfigError(f"{where}.selinuxLabel", "SELinux is not enabled on this host")
    set_capabilities(p, proc.get("capabilities"), f"{where}.capabilities")
    console = proc.get("consoleSize") or {}
    p.c.console_rows = console.get("height", 0)
    p.c.console_cols = console.get("width", 0)
    p.c.terminal = 1 if proc.get("terminal") else 0


def apparmor_enabled():
    """The kernel's AppArmor is on (Docker and podman ask the same file before they name a
    profile; securityfs need not be mounted for the runtime's write)."""
    try:
        with open("/sys/module/apparmor/parameters/enabled", "rb") as f:
            return f.read(1) == b"Y"
    except OSError:
        return False


def set_apparmor_profile(p, profile, where):
    """process.apparmorProfile: entered at the program's execve (csrc/apparmor.c). Where
    AppArmor is off, an error as from runc, whose write to the attribute fails there."""
    if not apparmor_enabled():
        raise ConfigError(where, "AppArmor is not enabled on this host")
    if "\0" in profile or len(profile) > 4000:
        raise ConfigError(where, f"not an AppArmor profile name: {profile[:100]!r}")
    # an unknown name fails here, at create, as it fails runc's (which writes it in its init)
    if profile != "unconfined" and not profile.startswith((":", "&")):  # not namespaced or stacked
        loaded = loaded_apparmor_profiles()
        if loaded is not None and profile not in loaded:
            raise ConfigError(where, f"AppArmor profile {profile!r} is not loaded")
    p.c.apparmor_profile = p.string(profile)


def loaded_apparmor_profiles():
    """Names of the loaded profiles ("NAME (MODE)" lines); None where securityfs is not
    mounted: the kernel's answer to the write at exec is the check then."""
    try:
        with open("/sys/kernel/security/apparmor/profiles") as f:
            return {line.rstrip("\n").rsplit(" (", 1)[0] for line in f}
    except OSError:
        return None


def _set_personality(p, config):
    pers = config.get("linux", {}).get("personality")
    p.c.personality = linux.PERSONALITY_DOMAINS[pers["domain"]] if pers else -1


def set_hooks(p, hooks, kind):
    """Attach the in-container hooks of `kind` (createContainer, startContainer)."""
    items = hooks.get(kind, [])
    arr = p.array("struct oci_hook", len(items))
    for i, h in enumerate(items):
        arr[i].path = p.string(h["path"])
        arr[i].argv = p.strings(h.get("args") or [h["path"]])[0]
        if h.get("env") is not None:  # else the container process's environment, as runc's
            arr[i].envp = p.strings(h["env"])[0]
        arr[i].timeout = h.get("timeout", 0)
    return arr, len(items)


def set_cgroup_placement(p, mgr):
    """The cgroups the C stages join by themselves (no manager: rootless, none)."""
    if mgr is None:
        return
    tasks, cgroup2_dir = mgr.placement()
    p.c.cgroup_tasks, p.c.n_cgroup_tasks = p.strings(tasks)
    p.c.cgroup2_dir = p.string(cgroup2_dir)


def with_socket_activation(proc, listen_fds):
    """The container's process, told about the sockets it inherits (LISTEN_FDS of them
    from fd 3, for its pid 1): LISTEN_PID=1 as crun sets it and LISTEN_FDS as runc
    does, each unless the config's env sets it (podman puts LISTEN_FDS there itself).
    The stored config keeps its own env: exec'd processes do not get them."""
    if not listen_fds:
        return proc
    env = list(proc.get("env", []))
    names = {entry.partition("=")[0] for entry in env}
    env += [f"{name}={value}" for name, value in (("LISTEN_FDS", listen_fds), ("LISTEN_PID", 1)) if name not in names]
    return {**proc, "env": env}


def build_create_plan(config, bundle, *, state_dir_fd, console_fd, preserve_fds, no_pivot, cgroup_mounts,
                      listen_fds=0):
    """The plan for `create`: namespaces, rootfs, mounts, devices, process, hooks."""
    p = Plan()
    ns = namespaces(config)
    userns = "user" in ns and ns["user"] is None
    _set_namespaces(p, ns)
    _set_time_offsets(p, config)
    _set_rootfs(p, config, bundle, ns)
    if "mount" in ns:
        mounts = _expand_mounts(config, bundle, cgroup_mounts)
        _set_mounts(p, mounts, config)
        _set_devices(p, config, mounts, userns)
    else:
        _refuse_without_mount_ns(config)
        p.c.host_mount_ns = 1
    _set_sysctl(p, config, ns)
    set_process(p, with_socket_activation(config["process"], listen_fds))
    _set_personality(p, config)
    if config.get("linux", {}).get("seccomp"):
        from .seccomp import set_seccomp
        set_seccomp(p, config["linux"]["seccomp"])
    hooks = config.get("hooks", {})
    p.c.create_container_hooks, p.c.n_create_container_hooks = set_hooks(p, hooks, "createContainer")
    p.c.start_container_hooks, p.c.n_start_container_hooks = set_hooks(p, hooks, "startContainer")
    p.c.no_pivot = 1 if no_pivot else 0
    p.c.console_fd = console_fd
    p.c.preserve_fds = preserve_fds
    p.c.state_dir_fd = state_dir_fd
    return p


def build_exec_plan(config, init_pid, process, *, console_fd, preserve_fds):
    """The plan for `exec`: join every namespace of the running init (the user
    namespace first), then set up `process` as create would."""
    p = Plan()
    types = [n["type"] for n in config.get("linux", {}).get("namespaces", [])]
    types.sort(key=lambda t: t != "user")
    p.c.joins = arr = p.array("struct oci_join_ns", len(types))
    for i, t in enumerate(types):
        arr[i].type = linux.NAMESPACES[t]
        arr[i].path = p.string(f"/proc/{init_pid}/ns/{linux.NS_FILES[t]}")
    p.c.n_joins = len(types)
    if "mount" not in types:
        p.c.rootfs = p.string(f"/proc/{init_pid}/root")
        p.c.host_mount_ns = 1
    if not process.get("apparmorProfile") and config.get("process", {}).get("apparmorProfile"):
        # as runc: an exec'd process without a profile of its own gets the container's
        process = {**process, "apparmorProfile": config["process"]["apparmorProfile"]}
    set_process(p, process)
    p.c.personality = -1
    if config.get("linux", {}).get("seccomp"):
        from .seccomp import set_seccomp
        set_seccomp(p, config["linux"]["seccomp"])
    p.c.exec_only = 1
    p.c.console_fd = console_fd
    p.c.preserve_fds = preserve_fds
    p.c.state_dir_fd = -1
    return p
