"""The checkpoint package's shared fixture: whether CRIU works here at all."""
import json
import subprocess

import pytest

from support import ociruntime_command


@pytest.fixture(scope="session")
def working_criu():
    """Skip where CRIU cannot run (the host): `features` asks it over RPC."""
    out = subprocess.run(ociruntime_command() + ["features"], capture_output=True, text=True, timeout=600).stdout
    annotations = json.loads(out)["annotations"]
    if annotations.get("io.github.ociruntime.checkpoint") != "criu":
        pytest.skip(f"CRIU does not work here: {annotations.get('io.github.ociruntime.checkpoint.reason')}")
    return annotations
