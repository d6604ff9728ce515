"""CFFI out-of-line API-mode builder for ociruntime._core (csrc/), with the exec stub
(csrc/stub/exec_stub.c) compiled first and embedded as bytes."""
import glob
import os
import platform
import subprocess
import tempfile

from cffi import FFI

CSRC = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "csrc")


def _cdef_text():
    with open(os.path.join(CSRC, "ociruntime.h")) as f:
        return f.read()


def _exec_stub_bytes():
    """The freestanding exec stub (x86_64 only: elsewhere none, and the container
    process is exec'd directly)."""
    if platform.machine() != "x86_64":
        return b""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "stub")
        subprocess.run([os.environ.get("CC", "cc"), "-static", "-nostdlib", "-nostartfiles", "-no-pie", "-O2",
                        "-fno-stack-protector", "-fno-asynchronous-unwind-tables", "-Wl,--build-id=none", "-s",
                        "-o", out, os.path.join(CSRC, "stub", "exec_stub.c")], check=True)
        with open(out, "rb") as f:
            return f.read()


def _embedded(name, data):
    body = ",".join(str(b) for b in data) or "0"
    return f"const unsigned char {name}[] = {{{body}}};\nconst unsigned int {name}_len = {len(data)};\n"


def exec_stub_source():
    """C defining oci_exec_stub (csrc/container.c sends it to the init at `start`): the
    extension and the front door (_build_frontdoor.py) each embed it."""
    return _embedded("oci_exec_stub", _exec_stub_bytes())


ffibuilder = FFI()
ffibuilder.cdef(_cdef_text())
ffibuilder.set_source(
    "ociruntime._core",
    '#include "internal.h"\n' + exec_stub_source(),
    sources=sorted(os.path.relpath(p) for p in glob.glob(os.path.join(CSRC, "*.c"))),  # not csrc/frontdoor/
    include_dirs=[CSRC],
    libraries=["seccomp"],
    extra_compile_args=["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter", "-D_GNU_SOURCE"],
)

if __name__ == "__main__":
    ffibuilder.compile(verbose=True)
