"""The C front door (csrc/frontdoor/): the `ociruntime` command serves state, start,
kill and delete itself. To show a call was served by C and not handed over, the tests
run a copy of the command alone in a directory (`c_only`): it has no Python layer
beside it, so any hand-over fails with "cannot run the Python layer". The Python layer
itself (`ociruntime-py`, beside the installed command) is the reference for outputs."""
import os
import shutil

import pytest
from support import Runtime


def _command():
    exe = shutil.which("ociruntime")
    exe = exe and os.path.realpath(exe)  # /usr/local/bin/ociruntime is a link to the venv's
    if not exe or open(exe, "rb").read(4) != b"\x7fELF":
        pytest.skip("the installed ociruntime is not the C front door")
    return exe


class Variant(Runtime):
    """The runtime fixture's root and log, called through another program."""

    def __init__(self, base, cmd):
        super().__init__(base.root, base.log)
        self.cmd = cmd


@pytest.fixture
def c_only(runtime, tmp_path):
    """The front door with no Python layer to hand over to."""
    alone = tmp_path / "c-only"
    alone.mkdir()
    shutil.copy2(_command(), alone / "ociruntime")
    return Variant(runtime, [str(alone / "ociruntime")])


@pytest.fixture
def python_layer(runtime):
    """The Python layer, called directly (what the front door hands over to)."""
    layer = os.path.join(os.path.dirname(_command()), "ociruntime-py")
    return Variant(runtime, [layer])


@pytest.fixture(autouse=True)
def _cgroup_parents_removed(remove_test_cgroup_parents):
    pass


HANDED_OVER = "cannot run the Python layer"
