"""CFFI out-of-line API-mode builder for ociruntime._netlink (csrc/netlink/): rtnetlink
through libnl-route-3 and nftables through libnftables, apart from _core so that only
networked containers load those libraries."""
import os

from cffi import FFI

NETLINK_SRC = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "csrc", "netlink")

ffibuilder = FFI()
with open(os.path.join(NETLINK_SRC, "netlink.h")) as f:
    ffibuilder.cdef(f.read())
ffibuilder.set_source(
    "ociruntime._netlink",
    '#include "netlink.h"\n',
    sources=[os.path.relpath(os.path.join(NETLINK_SRC, name)) for name in ("rtnl.c", "nftables.c")],
    include_dirs=[NETLINK_SRC, "/usr/include/libnl3"],
    libraries=["nl-route-3", "nl-3", "nftables"],
    extra_compile_args=["-O2", "-Wall", "-Wextra", "-D_GNU_SOURCE"],
)

if __name__ == "__main__":
    ffibuilder.compile(verbose=True)
