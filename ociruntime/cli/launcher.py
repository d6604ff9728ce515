"""Install the `ociruntime` command at TARGET: the C front door (csrc/frontdoor/, built
here when the checkout is at hand, as for an editable install) and, beside it as
`ociruntime-py`, the fast Python layer it hands over to: `#!PYTHON -IS` with this
installation's paths fixed in it, so that each call pays bare Python start-up (-S: no
site-packages scan and .pth files, -I: no PYTHON* environment, no cwd on sys.path):
~4 ms less than the wheel's own (bin/ociruntime-py), on every call Python serves.

    python -m ociruntime.cli.launcher [TARGET]     # default: `ociruntime` beside this python

The paths are found when this runs, on the machine that runs it: where the ociruntime
package was imported from (a checkout for an editable install) and this interpreter's
site-packages (cffi, pyroute2). scripts/setup.sh runs it after installing."""
import os
import sys
import sysconfig

PYTHON_LAYER = "ociruntime-py"  # the name csrc/frontdoor/main.c execs, beside itself
LAUNCHER = """#!{python} -IS
# ociruntime's Python layer (written by `python -m ociruntime.cli.launcher`; the
# `ociruntime` command beside it is the C front door, which execs this): -S skips
# site-packages scanning (the paths are fixed below) and -I the environment, so each
# call pays bare Python start-up. No cyclic GC: most calls live milliseconds, the long
# ones (foreground run, events) loop without making reference cycles.
import gc
gc.disable()
import sys
sys.path[0:0] = {paths!r}
from ociruntime.cli.main import run_command
run_command()
"""


def launcher_paths():
    """sys.path entries the launcher needs: the directory holding the ociruntime
    package, then this interpreter's site-packages."""
    package_parent = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    paths = [package_parent]
    for key in ("purelib", "platlib"):
        path = sysconfig.get_paths()[key]
        if path not in paths:
            paths.append(path)
    return paths


def write_launcher(target, python=sys.executable, paths=None):
    """Write the launcher atomically (a call may be running the old one)."""
    tmp = f"{target}.tmp{os.getpid()}"
    with open(tmp, "w") as f:
        f.write(LAUNCHER.format(python=python, paths=launcher_paths() if paths is None else paths))
    os.chmod(tmp, 0o755)
    os.rename(tmp, target)


def install_command(target):
    """The front door at target (when the checkout's csrc/ is here), the fast Python
    layer beside it; the path of the Python layer."""
    package_parent = launcher_paths()[0]
    if os.path.isdir(os.path.join(package_parent, "csrc", "frontdoor")):
        from .._build_frontdoor import build_frontdoor
        build_frontdoor(target)
    python_layer = os.path.join(os.path.dirname(os.path.abspath(target)), PYTHON_LAYER)
    write_launcher(python_layer)
    return python_layer


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) > 1 or (argv and argv[0].startswith("-")):
        # only a path is taken: `--help` or a stray flag must not become a file name
        print(__doc__.split("\n\n")[1].strip(), file=sys.stderr)
        sys.exit(0 if argv[0] in ("-h", "--help") else 2)
    target = argv[0] if argv else os.path.join(os.path.dirname(sys.executable), "ociruntime")
    install_command(target)
    print(target)


if __name__ == "__main__":
    main()
