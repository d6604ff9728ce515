"""CFFI out-of-line API-mode builder for ociruntime._rtnl (csrc/rtnl/): rtnetlink through
libnl-route-3, apart from _core so that only networked containers load libnl."""
import os

from cffi import FFI

RTNL_SRC = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "csrc", "rtnl")

ffibuilder = FFI()
with open(os.path.join(RTNL_SRC, "rtnl.h")) as f:
    ffibuilder.cdef(f.read())
ffibuilder.set_source(
    "ociruntime._rtnl",
    '#include "rtnl.h"\n',
    sources=[os.path.relpath(os.path.join(RTNL_SRC, "rtnl.c"))],
    include_dirs=[RTNL_SRC, "/usr/include/libnl3"],
    libraries=["nl-route-3", "nl-3"],
    extra_compile_args=["-O2", "-Wall", "-Wextra", "-D_GNU_SOURCE"],
)

if __name__ == "__main__":
    ffibuilder.compile(verbose=True)
