"""Build ociruntime: the Python package, the CFFI extension from csrc/, and the
generated config validator (spec/config-schema.json -> Python, at build time).
Metadata and dependencies are in pyproject.toml."""
import os
import sys

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

try:
    from setuptools.command.build_scripts import build_scripts
except ImportError:  # setuptools before 69.1: distutils' own (setuptools provides it)
    from distutils.command.build_scripts import build_scripts

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


class BuildScriptsWithFrontDoor(build_scripts):
    """The `ociruntime` command is the C front door (csrc/frontdoor/), built here beside
    the Python layer it hands over to (bin/ociruntime-py, `#!python` made the target's
    interpreter by the installer)."""

    def run(self):
        super().run()
        sys.path.insert(0, HERE)
        from ociruntime._build_frontdoor import build_frontdoor
        build_frontdoor(os.path.join(self.build_dir, "ociruntime"))


setup(
    packages=find_packages(include=["ociruntime", "ociruntime.*"]),
    package_data={"ociruntime": ["py.typed"]},
    cffi_modules=["ociruntime/_build.py:ffibuilder", "ociruntime/_build_netlink.py:ffibuilder"],
    cmdclass={"build_py": BuildPyWithValidator, "build_scripts": BuildScriptsWithFrontDoor},
    # the command: the C front door (built by BuildScriptsWithFrontDoor) and the Python
    # layer (`#!python`: pip gives it the target environment's interpreter); the fast
    # Python layer with -IS comes from `python -m ociruntime.cli.launcher` (scripts/setup.sh)
    scripts=["bin/ociruntime-py"],
    zip_safe=False,
)
