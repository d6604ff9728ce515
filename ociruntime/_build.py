"""CFFI out-of-line API-mode builder for ociruntime._core (csrc/)."""
import glob
import os

from cffi import FFI

CSRC = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "csrc")


def _cdef_text():
    with open(os.path.join(CSRC, "ociruntime.h")) as f:
        return f.read()


ffibuilder = FFI()
ffibuilder.cdef(_cdef_text())
ffibuilder.set_source(
    "ociruntime._core",
    '#include "internal.h"\n',
    sources=sorted(os.path.relpath(p) for p in glob.glob(os.path.join(CSRC, "*.c"))),
    include_dirs=[CSRC],
    libraries=["seccomp"],
    extra_compile_args=["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter", "-D_GNU_SOURCE"],
)

if __name__ == "__main__":
    ffibuilder.compile(verbose=True)
