"""Build ociruntime: the Python package, the CFFI extension from csrc/, and the
generated config validator (spec/config-schema.json -> Python, at build time)."""
import os
import sys

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py
from setuptools.command.develop import develop
from setuptools.command.install_scripts import install_scripts

HERE = os.path.dirname(os.path.abspath(__file__))


def generate_validator():
    """ociruntime/spec/_validator.py from spec/: `create` then imports plain Python (no
    jsonschema, no compiling the schemas at each call)."""
    sys.path.insert(0, HERE)
    from ociruntime.codegen.schema import write_validator
    write_validator(os.path.join(HERE, "spec"), os.path.join(HERE, "ociruntime", "spec", "_validator.py"))


class BuildPyWithValidator(build_py):
    def run(self):
        generate_validator()
        super().run()


LAUNCHER = """#!{python} -IS
# ociruntime's launcher: -S skips site-packages scanning (the paths are fixed at
# install time) and -I the environment, so each call pays bare Python start-up.
# No cyclic GC: most calls live milliseconds, the long ones (foreground run, events)
# loop without making reference cycles.
import gc
gc.disable()
import sys
sys.path[0:0] = {paths!r}
from ociruntime.cli.main import run_command
run_command()
"""


def write_launcher(script_dir, paths):
    target = os.path.join(script_dir, "ociruntime")
    with open(target, "w") as f:
        f.write(LAUNCHER.format(python=sys.executable, paths=paths))
    os.chmod(target, 0o755)


class DevelopWithLauncher(develop):
    """An editable install whose `ociruntime` command starts fast (no metadata lookup)."""

    def run(self):
        generate_validator()
        super().run()

    def install_wrapper_scripts(self, dist):
        super().install_wrapper_scripts(dist)
        import sysconfig
        write_launcher(self.script_dir, [HERE, sysconfig.get_paths()["purelib"]])


class InstallScriptsWithLauncher(install_scripts):
    """`pip install .`: the same launcher instead of the entry-point wrapper, which
    imports re and importlib.metadata (~35 ms a call)."""

    def run(self):
        super().run()
        install = self.get_finalized_command("install")
        lib = install.install_lib
        if install.root:  # a staged install (DESTDIR): the launcher names the final place
            lib = os.path.join("/", os.path.relpath(lib, install.root))
        write_launcher(self.install_dir, [lib])


setup(
    name="ociruntime",
    version="0.1.0",
    description="A runc-compatible OCI container runtime in Python with a CFFI core",
    packages=find_packages(include=["ociruntime", "ociruntime.*"]),
    data_files=[("share/ociruntime/spec", [os.path.join("spec", f) for f in sorted(os.listdir(os.path.join(HERE, "spec"))) if f.endswith(".json")])],
    python_requires=">=3.11",
    setup_requires=["cffi>=1.15"],
    install_requires=["cffi>=1.15"],
    cffi_modules=["ociruntime/_build.py:ffibuilder"],
    cmdclass={"build_py": BuildPyWithValidator, "develop": DevelopWithLauncher,
              "install_scripts": InstallScriptsWithLauncher},
    entry_points={"console_scripts": ["ociruntime = ociruntime.cli.main:run_command"]},
    zip_safe=False,
)
