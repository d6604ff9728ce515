"""Start-up speed guarded by a test: which modules each command may import. Each
command runs as the fast Python layer runs it (python -IS, the launcher's sys.path) on a
real container, and reports sys.modules at exit. A new import on a hot path fails here
with its name: make it lazy, or widen the budget on purpose."""
import os
import subprocess
import sys

import pytest
from support import new_id

from ociruntime.cli.launcher import launcher_paths

PROBE = """
import gc, sys
gc.disable()
sys.path[0:0] = {paths!r}
sys.argv = ['ociruntime'] + {argv!r}
from ociruntime.cli.main import main
code = main()
with open({out!r}, 'w') as f:
    f.write('\\n'.join(sorted(sys.modules)))
sys.exit(code)
"""

EVERY = {"ociruntime", "ociruntime.cli", "ociruntime.cli.args", "ociruntime.cli.main", "ociruntime.errors",
         "ociruntime.log", "ociruntime.jsonio"}
# the status comes from the C the front door uses too (csrc/container.c), through _core
CONTAINER = EVERY | {"ociruntime.api", "ociruntime.container", "ociruntime.container.lifecycle",
                     "ociruntime.container.state", "ociruntime.cgroups", "ociruntime._core", "ociruntime._core.lib"}
# ociruntime modules a command may import (prefixes end with '.')
BUDGET = {
    "state": CONTAINER,
    "start": CONTAINER,
    "kill": CONTAINER | {"ociruntime.container.signals"},
    "delete": CONTAINER | {"ociruntime.cgroups.base", "ociruntime.cgroups.files", "ociruntime.cgroups.v1",
                           "ociruntime.cgroups.v1.manager", "ociruntime.cgroups.v2", "ociruntime.cgroups.v2.manager"},
    "create": CONTAINER | {"ociruntime._core", "ociruntime._core.lib", "ociruntime.linux", "ociruntime.spec",
                           "ociruntime.spec.config", "ociruntime.spec._validator", "ociruntime.spec.plan",
                           "ociruntime.spec.schema_patterns", "ociruntime.container.console",
                           "ociruntime.container.spawn", "ociruntime.network", "ociruntime.network.annotations",
                           "ociruntime.cgroups."},
}
# never on these paths: each costs milliseconds (re+enum ~7 ms, typing ~3 ms, socket ~3 ms, ...)
FORBIDDEN = {"re", "enum", "json", "typing", "collections", "socket", "subprocess", "argparse", "ctypes", "ipaddress",
             "tempfile", "datetime", "logging", "importlib.metadata", "pyroute2", "jsonschema", "dataclasses",
             "ociruntime.codegen", "ociruntime.cli.options"}
MAX_MODULES = {"state": 50, "start": 50, "kill": 52, "delete": 56, "create": 80}


def allowed(name, budget):
    return name in budget or any(p.endswith(".") and name.startswith(p) for p in budget)


def probe(runtime, tmp_path, *argv):
    out = str(tmp_path / "modules.txt")
    code = PROBE.format(paths=launcher_paths(), argv=["--root", runtime.root, *argv], out=out)
    with open(tmp_path / "probe.log", "w+") as log:  # files, not pipes: the container inherits them
        rc = subprocess.run([sys.executable, "-IS", "-c", code], stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                            timeout=60).returncode
        log.seek(0)
        assert rc == 0, log.read()
    with open(out) as f:
        return f.read().split("\n")


def check(command, modules):
    own = [m for m in modules if m.startswith("ociruntime")]
    assert [m for m in own if not allowed(m, BUDGET[command])] == [], f"{command}: ociruntime modules over budget"
    assert sorted(FORBIDDEN & set(modules)) == [], f"{command} imports slow modules"
    assert len(modules) <= MAX_MODULES[command], f"{command}: {len(modules)} modules: {modules}"


def test_import_budget_per_command(runtime, bundle, tmp_path):
    bundle.set_args("sleep", "1000")
    bundle.config["process"]["terminal"] = False
    bundle.save()
    cid = new_id()
    check("create", probe(runtime, tmp_path, "create", "--bundle", bundle.path, cid))
    check("state", probe(runtime, tmp_path, "state", cid))
    check("start", probe(runtime, tmp_path, "start", cid))
    check("kill", probe(runtime, tmp_path, "kill", cid, "KILL"))
    check("delete", probe(runtime, tmp_path, "delete", "--force", cid))
    assert not os.listdir(runtime.root)


@pytest.fixture(autouse=True)
def _cgroup_parents_removed(remove_test_cgroup_parents):
    pass


def test_budget_names_real_modules():
    """A budget naming modules that do not exist would hide nothing: keep it honest."""
    import importlib.util
    for name in set().union(*BUDGET.values()):
        if not name.endswith(".") and name not in ("ociruntime.spec._validator", "ociruntime._core.lib"):
            assert importlib.util.find_spec(name) is not None, name
