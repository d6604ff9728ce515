"""Build the `ociruntime` command: the C front door (csrc/frontdoor/) with the parts of
csrc/ it shares with the extension (container.c: status, signals, cgroup teardown,
the start handshake; sync.c) and the embedded exec stub. setup.py installs it as the
command, beside the Python layer it hands every other call to (`ociruntime-py`).

    python -m ociruntime._build_frontdoor OUTPUT"""
import os
import subprocess
import sys
import tempfile

CSRC = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "csrc")
SOURCES = ["frontdoor/main.c", "frontdoor/json.c", "container.c", "sync.c"]


def build_frontdoor(output):
    from ociruntime import SPEC_VERSION, __version__
    from ociruntime._build import exec_stub_source
    with tempfile.TemporaryDirectory() as tmp:
        stub = os.path.join(tmp, "exec_stub.c")
        with open(stub, "w") as f:
            f.write(exec_stub_source())
        tmp_out = os.path.join(tmp, "ociruntime")
        subprocess.run([os.environ.get("CC", "cc"), "-O2", "-Wall", "-Wextra", "-Wno-unused-parameter",
                        "-D_GNU_SOURCE", f'-DOCI_VERSION="{__version__}"', f'-DOCI_SPEC_VERSION="{SPEC_VERSION}"',
                        "-I", CSRC, *[os.path.join(CSRC, s) for s in SOURCES], stub, "-o", tmp_out], check=True)
        os.makedirs(os.path.dirname(os.path.abspath(output)), exist_ok=True)
        # atomically: a call may be running the old one
        staged = f"{output}.tmp{os.getpid()}"
        with open(tmp_out, "rb") as src, open(staged, "wb") as dst:
            dst.write(src.read())
        os.chmod(staged, 0o755)
        os.rename(staged, output)


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(CSRC))
    build_frontdoor(sys.argv[1])
