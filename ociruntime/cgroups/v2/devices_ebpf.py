"""v2 devices: a BPF_PROG_TYPE_CGROUP_DEVICE program assembled from the OCI rules and attached to
the cgroup with BPF_CGROUP_DEVICE (cgroup v2 has no devices.allow/deny files).

The program follows runc's devicefilter / crun's ebpf.c layout. The kernel hands it
struct bpf_cgroup_dev_ctx {u32 access_type (access << 16 | type); u32 major; u32 minor}; it returns
1 to allow, 0 to deny. OCI rules are ordered, later ones win, so the program checks them last to
first and the first match decides; when none matches the device is allowed (a fresh cgroup
allows everything, as on v1). A rule matches an allow when it covers all requested access bits and
a deny when it covers any of them. Checking stops at the first rule that matches everything
(Docker's leading "deny all"): the verifier rejects unreachable instructions.
"""

import ctypes
import os
import struct

from ociruntime.errors import CgroupError

from ..resources import device_rules, field_name

SYS_BPF = {"x86_64": 321, "aarch64": 280, "ppc64le": 361, "s390x": 351, "riscv64": 280}[os.uname().machine]
BPF_PROG_LOAD, BPF_PROG_ATTACH, BPF_PROG_DETACH, BPF_PROG_GET_FD_BY_ID, BPF_PROG_QUERY = 5, 8, 9, 13, 16
BPF_PROG_TYPE_CGROUP_DEVICE = 15
BPF_CGROUP_DEVICE = 6
BPF_F_ALLOW_MULTI = 2
ATTR_SIZE = 128
LICENSE = b"Apache\0"

DEV_TYPE = {"b": 1, "c": 2}                 # BPF_DEVCG_DEV_BLOCK / _CHAR
ACCESS_BITS = {"m": 1, "r": 2, "w": 4}      # BPF_DEVCG_ACC_MKNOD / _READ / _WRITE
ALL_ACCESS = 7

# Opcodes (class | op | source) used by the program.
LDX_W = 0x61        # dst = *(u32 *)(src + off)
ALU32_AND_K = 0x54
ALU32_RSH_K = 0x74
ALU32_MOV_K = 0xB4
ALU32_MOV_X = 0xBC
JNE_K = 0x55
JNE_X = 0x5D
JEQ_K = 0x15
EXIT = 0x95
R0, R1, R2, R3, R4, R5 = range(6)
NEXT = object()     # jump target placeholder: the first instruction after the current rule's block


def insn(code, dst=0, src=0, off=0, imm=0):
    return [code, dst, src, off, imm]


def encode(insns):
    return b"".join(struct.pack("<BBhi", code, dst | (src << 4), off, imm) for code, dst, src, off, imm in insns)


def _prologue():
    """R2 = device type, R3 = requested access, R4 = major, R5 = minor."""
    return [insn(LDX_W, R2, R1, 0), insn(ALU32_AND_K, R2, imm=0xFFFF),
            insn(LDX_W, R3, R1, 0), insn(ALU32_RSH_K, R3, imm=16),
            insn(LDX_W, R4, R1, 4), insn(LDX_W, R5, R1, 8)]


def _rule_block(rule):
    """The instructions for one rule: conditional jumps to NEXT, then return the verdict."""
    block = []
    if rule.type != "a":
        block.append(insn(JNE_K, R2, off=NEXT, imm=DEV_TYPE[rule.type]))
    access = sum(ACCESS_BITS[c] for c in rule.access)
    if access != ALL_ACCESS:
        block += [insn(ALU32_MOV_X, R1, R3), insn(ALU32_AND_K, R1, imm=access)]
        # allow: every requested bit granted (R1 == R3); deny: some requested bit named (R1 != 0)
        block.append(insn(JNE_X, R1, R3, off=NEXT) if rule.allow else insn(JEQ_K, R1, off=NEXT, imm=0))
    if rule.major is not None:
        block.append(insn(JNE_K, R4, off=NEXT, imm=struct.unpack("<i", struct.pack("<I", rule.major))[0]))
    if rule.minor is not None:
        block.append(insn(JNE_K, R5, off=NEXT, imm=struct.unpack("<i", struct.pack("<I", rule.minor))[0]))
    conditional = bool(block)
    block += [insn(ALU32_MOV_K, R0, imm=int(rule.allow)), insn(EXIT)]
    for i, ins in enumerate(block):
        if ins[3] is NEXT:
            ins[3] = len(block) - (i + 1)
    return block, conditional


def assemble(rules):
    """The program's instructions for ordered DeviceRules."""
    program = _prologue()
    for rule in reversed(rules):
        block, conditional = _rule_block(rule)
        program += block
        if not conditional:
            return program
    return program + [insn(ALU32_MOV_K, R0, imm=1), insn(EXIT)]


_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


def _bpf(cmd, attr):
    res = _libc.syscall(ctypes.c_long(SYS_BPF), ctypes.c_int(cmd), attr, ctypes.c_uint(ATTR_SIZE))
    if res < 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))
    return res


def _load(code, log_size=0):
    """BPF_PROG_LOAD; if the kernel refuses, load again with a verifier log to put in the error."""
    insns = ctypes.create_string_buffer(code, len(code))
    lic = ctypes.create_string_buffer(LICENSE, len(LICENSE))
    log = ctypes.create_string_buffer(max(log_size, 1))
    attr = ctypes.create_string_buffer(ATTR_SIZE)
    struct.pack_into("<IIQQIIQ", attr, 0, BPF_PROG_TYPE_CGROUP_DEVICE, len(code) // 8,
                     ctypes.addressof(insns), ctypes.addressof(lic), int(log_size > 0), log_size,
                     ctypes.addressof(log) if log_size else 0)
    try:
        return _bpf(BPF_PROG_LOAD, attr)
    except OSError as exc:
        if not log_size:
            return _load(code, 65536)
        lines = [line for line in log.value.decode(errors="replace").splitlines()
                 if line.strip() and not line.startswith(("processed ", "verification time", "stack depth"))]
        detail = f" ({lines[-1]})" if lines else ""
        raise CgroupError(f"{field_name('devices')}: the kernel refused the eBPF device filter: "
                             f"{exc.strerror}{detail}") from None


def _attached_ids(cgroup_fd):
    ids = (ctypes.c_uint32 * 64)()
    attr = ctypes.create_string_buffer(ATTR_SIZE)
    struct.pack_into("<IIIIQI", attr, 0, cgroup_fd, BPF_CGROUP_DEVICE, 0, 0, ctypes.addressof(ids), len(ids))
    _bpf(BPF_PROG_QUERY, attr)
    count = struct.unpack_from("<I", attr, 24)[0]
    return list(ids[:count])


def _detach(cgroup_fd, prog_id):
    attr = ctypes.create_string_buffer(ATTR_SIZE)
    struct.pack_into("<I", attr, 0, prog_id)
    prog_fd = _bpf(BPF_PROG_GET_FD_BY_ID, attr)
    try:
        attr = ctypes.create_string_buffer(ATTR_SIZE)
        struct.pack_into("<IIII", attr, 0, cgroup_fd, prog_fd, BPF_CGROUP_DEVICE, 0)
        _bpf(BPF_PROG_DETACH, attr)
    finally:
        os.close(prog_fd)


def apply(cgdir, resources):
    """Replace the cgroup's device filter with one for linux.resources.devices (none given: keep)."""
    rules = device_rules(resources)
    if not rules:
        return
    prog_fd = _load(encode(assemble(rules)))
    cgroup_fd = os.open(cgdir, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        old = _attached_ids(cgroup_fd)
        attr = ctypes.create_string_buffer(ATTR_SIZE)
        struct.pack_into("<IIII", attr, 0, cgroup_fd, prog_fd, BPF_CGROUP_DEVICE, BPF_F_ALLOW_MULTI)
        _bpf(BPF_PROG_ATTACH, attr)
        for prog_id in old:
            _detach(cgroup_fd, prog_id)
    except OSError as exc:
        raise CgroupError(f"{field_name('devices')}: attaching the eBPF device filter: {exc.strerror}") from None
    finally:
        os.close(cgroup_fd)
        os.close(prog_fd)
