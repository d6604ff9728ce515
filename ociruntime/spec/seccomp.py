"""linux.seccomp into struct oci_seccomp: OCI names become libseccomp values here, where
errors can name their config field; csrc/seccomp.c builds and loads the filter.

Mirrors runc: rules whose action is the default action are dropped, syscall names
libseccomp does not know are ignored (in C), conditions on one argument index given
twice become one rule per condition, absent flags mean SECCOMP_FILTER_FLAG_SPEC_ALLOW."""
import errno
import os

from .. import SPEC_VERSION, jsonio
from ..errors import ConfigError

# libseccomp's seccomp.h; ERRNO and TRACE carry errnoRet in their low 16 bits
ACTIONS = {
    "SCMP_ACT_KILL": 0x00000000, "SCMP_ACT_KILL_THREAD": 0x00000000, "SCMP_ACT_KILL_PROCESS": 0x80000000,
    "SCMP_ACT_TRAP": 0x00030000, "SCMP_ACT_ERRNO": 0x00050000, "SCMP_ACT_TRACE": 0x7ff00000,
    "SCMP_ACT_LOG": 0x7ffc0000, "SCMP_ACT_NOTIFY": 0x7fc00000, "SCMP_ACT_ALLOW": 0x7fff0000,
}
ACTIONS_WITH_RET = ("SCMP_ACT_ERRNO", "SCMP_ACT_TRACE")

OPERATORS = {
    "SCMP_CMP_NE": 1, "SCMP_CMP_LT": 2, "SCMP_CMP_LE": 3, "SCMP_CMP_EQ": 4,
    "SCMP_CMP_GE": 5, "SCMP_CMP_GT": 6, "SCMP_CMP_MASKED_EQ": 7,
}

# the names seccomp_arch_resolve_name() knows (libseccomp 2.5)
ARCHITECTURES = {
    "SCMP_ARCH_X86": "x86", "SCMP_ARCH_X86_64": "x86_64", "SCMP_ARCH_X32": "x32",
    "SCMP_ARCH_ARM": "arm", "SCMP_ARCH_AARCH64": "aarch64",
    "SCMP_ARCH_MIPS": "mips", "SCMP_ARCH_MIPS64": "mips64", "SCMP_ARCH_MIPS64N32": "mips64n32",
    "SCMP_ARCH_MIPSEL": "mipsel", "SCMP_ARCH_MIPSEL64": "mipsel64", "SCMP_ARCH_MIPSEL64N32": "mipsel64n32",
    "SCMP_ARCH_PPC": "ppc", "SCMP_ARCH_PPC64": "ppc64", "SCMP_ARCH_PPC64LE": "ppc64le",
    "SCMP_ARCH_S390": "s390", "SCMP_ARCH_S390X": "s390x",
    "SCMP_ARCH_PARISC": "parisc", "SCMP_ARCH_PARISC64": "parisc64", "SCMP_ARCH_RISCV64": "riscv64",
}

# linux/seccomp.h SECCOMP_FILTER_FLAG_*, and the libseccomp version that can set each
FLAGS = {
    "SECCOMP_FILTER_FLAG_TSYNC": (1, (2, 2)),
    "SECCOMP_FILTER_FLAG_LOG": (2, (2, 4)),
    "SECCOMP_FILTER_FLAG_SPEC_ALLOW": (4, (2, 5)),
    "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV": (32, (2, 6)),
}
DEFAULT_FLAGS = ("SECCOMP_FILTER_FLAG_SPEC_ALLOW",)

# The init hands the notify fd to the listener with sendmsg() after loading the filter:
# a notified sendmsg would wait for a listener that never gets the fd.
NOTIFY_FORBIDDEN = ("sendmsg",)


def _action(name, errno_ret, where):
    if name not in ACTIONS:
        raise ConfigError(where, f"unknown seccomp action {name!r}")
    if name in ACTIONS_WITH_RET:
        return ACTIONS[name] | ((errno.EPERM if errno_ret is None else errno_ret) & 0xFFFF)
    return ACTIONS[name]


def _conditions(args, where):
    """[(index, value, valueTwo, op)] lists, one per rule: runc's split for a repeated index."""
    conds = []
    for i, arg in enumerate(args or ()):
        if arg["op"] not in OPERATORS:
            raise ConfigError(f"{where}.args[{i}].op", f"unknown seccomp operator {arg['op']!r}")
        if not 0 <= arg["index"] <= 5:
            raise ConfigError(f"{where}.args[{i}].index", "a syscall has arguments 0 to 5")
        conds.append((arg["index"], arg["value"], arg.get("valueTwo", 0), OPERATORS[arg["op"]]))
    if len({c[0] for c in conds}) < len(conds):
        return [[c] for c in conds]
    return [conds]


def _rules(seccomp, default_action):
    """(name, action, conditions) for every rule the filter gets."""
    rules = []
    for i, call in enumerate(seccomp.get("syscalls") or ()):
        where = f"linux.seccomp.syscalls[{i}]"
        action = _action(call["action"], call.get("errnoRet"), f"{where}.action")
        if call["action"] == "SCMP_ACT_NOTIFY":
            forbidden = [n for n in call["names"] if n in NOTIFY_FORBIDDEN]
            if forbidden:
                raise ConfigError(where, f"SCMP_ACT_NOTIFY cannot be used for {forbidden[0]}"
                                  " (the runtime needs it to hand the notify fd to the listener)")
        condition_sets = _conditions(call.get("args"), where)
        if action == default_action:
            continue
        for name in call["names"]:
            if not name:
                raise ConfigError(f"{where}.names", "an empty syscall name")
            rules.extend((name, action, conds) for conds in condition_sets)
    return rules


def _flags(seccomp):
    names = seccomp.get("flags")
    mask = 0
    for i, name in enumerate(DEFAULT_FLAGS if names is None else names):
        if name not in FLAGS:
            raise ConfigError(f"linux.seccomp.flags[{i}]", f"unknown seccomp flag {name!r}")
        mask |= FLAGS[name][0]
    return mask


def _architectures(seccomp):
    names = []
    for i, arch in enumerate(seccomp.get("architectures") or ()):
        if arch not in ARCHITECTURES:
            raise ConfigError(f"linux.seccomp.architectures[{i}]", f"unsupported architecture {arch!r}")
        names.append(ARCHITECTURES[arch])
    return names


def _listener_head(seccomp):
    """The listener message (runtime-spec container process state) but its pid and state."""
    head = jsonio.dumps({"ociVersion": SPEC_VERSION, "fds": ["seccompFd"],
                         "metadata": seccomp.get("listenerMetadata", "")})
    return head[:-1]


def set_seccomp(p, seccomp):
    """Fill p.c.seccomp from linux.seccomp (connecting to its listenerPath if needed)."""
    default_action = _action(seccomp["defaultAction"], seccomp.get("defaultErrnoRet"), "linux.seccomp.defaultAction")
    if seccomp["defaultAction"] == "SCMP_ACT_NOTIFY":
        raise ConfigError("linux.seccomp.defaultAction", "SCMP_ACT_NOTIFY cannot be the default action")
    rules = _rules(seccomp, default_action)
    holder = p.array("struct oci_seccomp", 1)
    sc = holder[0]
    sc.default_action = default_action
    sc.architectures, sc.n_architectures = p.strings(_architectures(seccomp))
    sc.flags = _flags(seccomp)
    sc.rules = arr = p.array("struct oci_seccomp_rule", len(rules))
    for i, (name, action, conds) in enumerate(rules):
        arr[i].name = p.string(name)
        arr[i].action = action
        arr[i].args = args = p.array("struct oci_seccomp_arg", len(conds))
        for j, (index, value, value_two, op) in enumerate(conds):
            args[j].index, args[j].value, args[j].value_two, args[j].op = index, value, value_two, op
        arr[i].n_args = len(conds)
    sc.n_rules = len(rules)
    sc.notify = int(any(action == ACTIONS["SCMP_ACT_NOTIFY"] for _, action, _ in rules))
    sc.listener_fd = -1
    if sc.notify:
        if not seccomp.get("listenerPath"):
            raise ConfigError("linux.seccomp.listenerPath", "required when SCMP_ACT_NOTIFY is used")
        from ..container.console import connect_unix
        listener = connect_unix(seccomp["listenerPath"], "config.json: linux.seccomp.listenerPath")
        p._keep.append(listener)
        sc.listener_fd = listener.fileno()
        sc.listener_head = p.string(_listener_head(seccomp))
    if not sc.notify:
        bpf = compiled_filter(holder)
        sc.bpf = p.array("unsigned char", len(bpf))
        p.ffi.memmove(sc.bpf, bpf, len(bpf))
        sc.bpf_len = len(bpf)
    p.c.seccomp = holder


CACHE_DIR = "/run/ociruntime-cache/seccomp"


def _filter_key(sc):
    """Everything the compiled filter depends on, libseccomp's version included."""
    from .._core import ffi, lib
    sc = sc[0]
    rules = [(ffi.string(r.name), r.action, [(a.index, a.value, a.value_two, a.op) for a in r.args[0:r.n_args]])
             for r in sc.rules[0:sc.n_rules]]
    arches = [ffi.string(a) for a in sc.architectures[0:sc.n_architectures]]
    return repr((lib.oci_seccomp_version(), sc.default_action, sc.flags, arches, rules)).encode()


def _compile(sc):
    from .._core import ffi, lib
    import tempfile
    with tempfile.TemporaryFile() as f:
        err = ffi.new("char[]", lib.OCI_ERR_LEN)
        if lib.oci_seccomp_export(sc, f.fileno(), err, lib.OCI_ERR_LEN) < 0:
            raise ConfigError("linux.seccomp", ffi.string(err).decode())
        f.seek(0)
        return f.read()


def compiled_filter(sc):
    """The filter as classic BPF, compiled once per profile (libseccomp takes ~11 ms
    to build Docker's for three architectures) and kept in a root-only cache in /run."""
    import _sha256
    path = os.path.join(CACHE_DIR, _sha256.sha256(_filter_key(sc)).hexdigest() + ".bpf")
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        pass
    bpf = _compile(sc)
    try:
        os.makedirs(CACHE_DIR, mode=0o700, exist_ok=True)
        tmp = f"{path}.{os.getpid()}"
        with open(tmp, "wb") as f:
            f.write(bpf)
        os.rename(tmp, path)
    except OSError:
        pass  # no cache (read-only /run, rootless): compiled again next time
    return bpf


def supported_flags():
    """The flags this libseccomp can set and this kernel accepts (for `features`)."""
    import ctypes
    import platform
    lib = ctypes.CDLL("libseccomp.so.2")
    lib.seccomp_version.restype = ctypes.POINTER(ctypes.c_uint * 3)
    version = tuple(lib.seccomp_version().contents)[:2]
    sys_seccomp = {"x86_64": 317, "aarch64": 277, "i686": 354, "armv7l": 383, "ppc64le": 358,
                   "s390x": 348, "riscv64": 277}.get(platform.machine())
    libc = ctypes.CDLL(None, use_errno=True)
    supported = []
    for name, (bit, needs) in FLAGS.items():
        if version < needs or sys_seccomp is None:
            continue
        # SECCOMP_SET_MODE_FILTER with a NULL program: EFAULT if the kernel knows the flag
        libc.syscall(sys_seccomp, 1, bit | (8 if bit == 32 else 0), None)  # WAIT_KILLABLE_RECV needs NEW_LISTENER
        if ctypes.get_errno() == errno.EFAULT:
            supported.append(name)
    return supported


def features():
    """The `linux.seccomp` object of features.json."""
    return {
        "enabled": True,
        "actions": sorted(ACTIONS),
        "operators": sorted(OPERATORS),
        "archs": sorted(ARCHITECTURES),
        "knownFlags": list(FLAGS),
        "supportedFlags": supported_flags(),
    }
