"""Build ociruntime: the Python package, the CFFI extension from csrc/, and the
generated config validator (spec/config-schema.json -> Python, at build time).
Metadata and dependencies are in pyproject.toml."""
import os
import sys

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

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


setup(
    packages=find_packages(include=["ociruntime", "ociruntime.*"]),
    package_data={"ociruntime": ["py.typed"]},
    cffi_modules=["ociruntime/_build.py:ffibuilder", "ociruntime/_build_netlink.py:ffibuilder"],
    cmdclass={"build_py": BuildPyWithValidator},
    # the launcher (`#!python`: pip gives it the target environment's interpreter); the
    # fast one with -IS comes from `python -m ociruntime.cli.launcher` (scripts/setup.sh)
    scripts=["bin/ociruntime"],
    zip_safe=False,
)
