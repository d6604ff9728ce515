"""v2 io: weight (io.bfq.weight as is, else io.weight converted as runc), per-device weights, io.max."""

from ociruntime.errors import CgroupError

from .. import files, stats
from ..resources import blkio_weight_to_io_weight, device_entries, field_name, get_int, section

IO_MAX_KEYS = (("throttleReadBpsDevice", "rbps"), ("throttleWriteBpsDevice", "wbps"),
               ("throttleReadIOPSDevice", "riops"), ("throttleWriteIOPSDevice", "wiops"))


def apply(cgdir, resources):
    blkio = section(resources, "blockIO")
    field = field_name("blockIO", "weight")
    weight = get_int(blkio, "weight", field, minimum=0, maximum=1000)
    bfq = files.exists(cgdir, "io.bfq.weight")
    if weight:
        if bfq:
            files.write(cgdir, "io.bfq.weight", weight, field)
        else:
            files.write(cgdir, "io.weight", blkio_weight_to_io_weight(weight), field)
    for dev_field, dev, value in device_entries(blkio, "weightDevice", "weight"):
        if not bfq:
            raise CgroupError(f"{dev_field}: per-device weights need the BFQ scheduler (io.bfq.weight)")
        files.write(cgdir, "io.bfq.weight", f"{dev} {value}", dev_field)
    for key, io_key in IO_MAX_KEYS:
        for dev_field, dev, value in device_entries(blkio, key, "rate"):
            files.write(cgdir, "io.max", f"{dev} {io_key}={value}", dev_field)


def collect(cgdir, out):
    service_bytes, serviced = [], []
    for line in (files.read_optional(cgdir, "io.stat") or "").splitlines():
        dev, *pairs = line.split()
        major, _, minor = dev.partition(":")
        values = dict(p.split("=", 1) for p in pairs if "=" in p)
        for op, bytes_key, ios_key in (("Read", "rbytes", "rios"), ("Write", "wbytes", "wios")):
            service_bytes.append(stats.blkio_entry(int(major), int(minor), op, int(values.get(bytes_key, 0))))
            serviced.append(stats.blkio_entry(int(major), int(minor), op, int(values.get(ios_key, 0))))
    blkio = {"ioServiceBytesRecursive": service_bytes, "ioServicedRecursive": serviced}
    out["blkio"] = {k: v for k, v in blkio.items() if v}
