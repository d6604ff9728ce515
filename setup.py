"""Build ociruntime: the Python package, the CFFI extension from csrc/, and the
generated config validator (spec/config-schema.json -> Python, at build time)."""
import os
import sys

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))


class BuildPyWithValidator(build_py):
    """Generate ociruntime/_validator.py from spec/ so `create` never imports jsonschema."""

    def run(self):
        sys.path.insert(0, HERE)
        from ociruntime.schema_codegen import write_validator
        write_validator(os.path.join(HERE, "spec"), os.path.join(HERE, "ociruntime", "_validator.py"))
        super().run()


setup(
    name="ociruntime",
    version="0.1.0",
    description="A runc-compatible OCI container runtime in Python with a CFFI core",
    packages=["ociruntime", "ociruntime.cli", "ociruntime.cgroups", "ociruntime.network"],
    package_data={"ociruntime": ["spec/*.json"]},
    data_files=[("share/ociruntime/spec", [os.path.join("spec", f) for f in sorted(os.listdir(os.path.join(HERE, "spec"))) if f.endswith(".json")])],
    python_requires=">=3.11",
    setup_requires=["cffi>=1.15"],
    install_requires=["cffi>=1.15"],
    cffi_modules=["ociruntime/_build.py:ffibuilder"],
    cmdclass={"build_py": BuildPyWithValidator},
    entry_points={"console_scripts": ["ociruntime = ociruntime.cli.main:main"]},
    zip_safe=False,
)
