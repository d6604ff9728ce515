"""v1 blkio: weight (CFQ or BFQ files), per-device weights, throttle bps/iops limits; I/O statistics."""

from ociruntime.errors import CgroupError

from .. import files, stats
from ..resources import device_entries, field_name, get_int, section

THROTTLES = (("throttleReadBpsDevice", "blkio.throttle.read_bps_device"),
             ("throttleWriteBpsDevice", "blkio.throttle.write_bps_device"),
             ("throttleReadIOPSDevice", "blkio.throttle.read_iops_device"),
             ("throttleWriteIOPSDevice", "blkio.throttle.write_iops_device"))


def _weight_file(cgdir, field):
    for name in ("blkio.weight", "blkio.bfq.weight"):
        if files.exists(cgdir, name):
            return name
    raise CgroupError(f"{field}: no blkio weight file (CFQ or BFQ) on this host")


def apply(cgdir, resources):
    blkio = section(resources, "blockIO")
    weight = get_int(blkio, "weight", field_name("blockIO", "weight"), minimum=0, maximum=1000)
    leaf = get_int(blkio, "leafWeight", field_name("blockIO", "leafWeight"), minimum=0, maximum=1000)
    if weight:
        field = field_name("blockIO", "weight")
        files.write(cgdir, _weight_file(cgdir, field), weight, field)
    if leaf:
        files.write(cgdir, "blkio.leaf_weight", leaf, field_name("blockIO", "leafWeight"))
    for field, dev, value in device_entries(blkio, "weightDevice", "weight"):
        name = _weight_file(cgdir, field) + "_device"
        files.write(cgdir, name, f"{dev} {value}", field)
    for key, name in THROTTLES:
        for field, dev, value in device_entries(blkio, key, "rate"):
            files.write(cgdir, name, f"{dev} {value}", field)


def _entries(cgdir, suffix):
    """The first non-empty of the CFQ, BFQ and throttle variants of a recursive stat file."""
    for prefix in ("blkio.", "blkio.bfq.", "blkio.throttle."):
        text = files.read_optional(cgdir, prefix + suffix)
        if text and text.split("\n", 1)[0] != "Total 0":
            break
    out = []
    for line in (text or "").splitlines():
        parts = line.split()
        if len(parts) == 3:
            major, _, minor = parts[0].partition(":")
            out.append(stats.blkio_entry(int(major), int(minor), parts[1], int(parts[2])))
    return out


def collect(cgdir, out):
    blkio = {"ioServiceBytesRecursive": _entries(cgdir, "io_service_bytes_recursive"),
             "ioServicedRecursive": _entries(cgdir, "io_serviced_recursive")}
    out["blkio"] = {k: v for k, v in blkio.items() if v}
