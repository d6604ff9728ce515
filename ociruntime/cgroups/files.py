"""Reading and writing cgroup files, creating and removing cgroup directories."""

import os

from ociruntime.errors import CgroupError

MAX_UINT64 = (1 << 64) - 1


def write(cgdir, name, value, field):
    """Write one value to a cgroup file; a failure names the OCI field it came from."""
    try:
        fd = os.open(os.path.join(cgdir, name), os.O_WRONLY | os.O_CLOEXEC)
        try:
            os.write(fd, str(value).encode())
        finally:
            os.close(fd)
    except OSError as exc:
        raise CgroupError(f"{field}: cannot write {str(value)!r} to {name}: {exc.strerror}") from None


def read(cgdir, name):
    with open(os.path.join(cgdir, name)) as f:
        return f.read().strip()


def read_optional(cgdir, name):
    """The file's content, or None when the kernel does not provide it here."""
    try:
        return read(cgdir, name)
    except FileNotFoundError:
        return None


def read_uint(cgdir, name):
    """An unsigned value; "max" reads as 2**64-1 like runc; absent files read as 0."""
    text = read_optional(cgdir, name)
    if not text:
        return 0
    if text == "max":
        return MAX_UINT64
    return max(int(text), 0)


def read_keyed(cgdir, name):
    """A "key value" per line file (memory.stat, cpu.stat, memory.events) as a dict of ints."""
    text = read_optional(cgdir, name) or ""
    out = {}
    for line in text.splitlines():
        key, _, value = line.partition(" ")
        if value.strip().lstrip("-").isdigit():
            out[key] = int(value)
    return out


def exists(cgdir, name):
    return os.path.exists(os.path.join(cgdir, name))


def make_dirs(path):
    """mkdir -p; returns the directories this call created, outermost first."""
    missing = []
    probe = path
    while not os.path.isdir(probe):
        missing.append(probe)
        probe = os.path.dirname(probe)
    missing.reverse()
    for d in missing:
        try:
            os.mkdir(d, 0o755)
        except FileExistsError:
            pass
        except OSError as exc:
            remove_created(missing[:missing.index(d)])
            raise CgroupError(f"cgroups: cannot create {d}: {exc.strerror}") from None
    return missing


def tree_pids(cgdir):
    """All pids in a cgroup and its descendants."""
    pids = []
    for dirpath, _, _ in os.walk(cgdir):
        text = read_optional(dirpath, "cgroup.procs") or ""
        pids.extend(int(p) for p in text.split())
    return pids


def remove_tree(cgdir):
    """rmdir a cgroup and its children leaf-first, retrying while dying tasks still hold it;
    idempotent. The front door's own C (csrc/container.c), so both paths remove alike."""
    from ociruntime._core import ffi, lib
    err = ffi.new("char[]", lib.OCI_ERR_LEN)
    if lib.oci_cgroup_remove_tree(os.fsencode(cgdir), err, lib.OCI_ERR_LEN) < 0:
        raise CgroupError(ffi.string(err).decode(errors="replace"))


def remove_created(created):
    """Best-effort removal of directories a failed create() made, innermost first."""
    for d in reversed(created):
        try:
            remove_tree(d)
        except CgroupError:
            pass
