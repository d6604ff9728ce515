"""Build ociruntime: the Python package, the CFFI extension from csrc/, and the
generated config validator (spec/config-schema.json -> Python, at build time)."""
import os
import sys

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.command.develop import develop

HERE = os.path.dirname(os.path.abspath(__file__))


class BuildPyWithValidator(build_py):
    """Generate ociruntime/_validator.py from spec/ so `create` never imports jsonschema."""

    def run(self):
        sys.path.insert(0, HERE)
        from ociruntime.schema_codegen import write_validator
        write_validator(os.path.join(HERE, "spec"), os.path.join(HERE, "ociruntime", "_validator.py"))
        super().run()


LAUNCHER = """#!{python} -IS
# ociruntime's launcher: -S skips site-packages scanning (the paths are fixed at
# install time) and -I the environment, so each call pays bare Python start-up.
import sys
sys.path[0:0] = {paths!r}
from ociruntime.cli.main import main
sys.exit(main())
"""


class DevelopWithLauncher(develop):
    """An editable install whose `ociruntime` command starts fast (no metadata lookup)."""

    def install_wrapper_scripts(self, dist):
        super().install_wrapper_scripts(dist)
        import sysconfig
        target = os.path.join(self.script_dir, "ociruntime")
        with open(target, "w") as f:
            f.write(LAUNCHER.format(python=sys.executable, paths=[HERE, sysconfig.get_paths()["purelib"]]))
        os.chmod(target, 0o755)


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
    cmdclass={"build_py": BuildPyWithValidator, "develop": DevelopWithLauncher},
    entry_points={"console_scripts": ["ociruntime = ociruntime.cli.main:main"]},
    zip_safe=False,
)
