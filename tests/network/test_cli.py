"""`ociruntime network ...` as a user types it."""
import json
import os
import subprocess
import sys

import pytest

from ociruntime.errors import InvalidArgument, NetworkError
from ociruntime.cli import network as cli

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def no_container(container_id):
    raise AssertionError(f"a network command looked up container {container_id}")


def run(capsys, *argv, pid_of=no_container):
    assert cli.main(list(argv), pid_of=pid_of) == 0
    return capsys.readouterr().out


def test_create_ls_inspect_rm(world, capsys):
    network_id = run(capsys, "create", "--subnet", "177.22.16.0/24", "--gateway", "177.22.16.1",
                     "--ip-range", "177.22.16.128/25", "my_net2").strip()
    assert len(network_id) == 64
    listing = run(capsys, "ls").splitlines()
    assert listing[0].split() == ["NETWORK", "ID", "NAME", "DRIVER", "SUBNET", "GATEWAY", "CONTAINERS"]
    assert [line.split()[1:] for line in listing[1:]] == [
        ["bridge", "bridge", "10.88.0.0/16", "10.88.0.1", "0"],
        ["my_net2", "bridge", "177.22.16.0/24", "177.22.16.1", "0"],
    ]
    inspected = json.loads(run(capsys, "inspect", "my_net2"))
    assert inspected["id"] == network_id
    assert inspected["ip_range"] == "177.22.16.128/25"
    assert inspected["bridge"] == "br-oci-" + network_id[:8]
    assert run(capsys, "create", "auto").strip()
    assert json.loads(run(capsys, "inspect", "auto"))["subnet"] == "10.89.0.0/24"
    assert run(capsys, "rm", "auto") == "auto\n"
    with pytest.raises(NetworkError, match="network 'auto' not found"):
        cli.main(["inspect", "auto"], no_container)


def test_connect_uses_the_runtime_pid_lookup_and_ip_range(world, capsys):
    run(capsys, "create", "--subnet", "177.22.16.0/24", "--ip-range", "177.22.16.128/25", "my_net2")
    pid = world.container()
    run(capsys, "connect", "my_net2", "ctr1", pid_of={"ctr1": pid}.__getitem__)
    endpoint = json.loads(run(capsys, "inspect", "my_net2"))["endpoints"]["ctr1"]
    assert endpoint["ip"] == "177.22.16.128"
    run(capsys, "connect", "--ip", "177.22.16.3", "my_net2", "ctr2", pid_of={"ctr2": world.container()}.__getitem__)
    assert json.loads(run(capsys, "inspect", "my_net2"))["endpoints"]["ctr2"]["ip"] == "177.22.16.3"
    with pytest.raises(NetworkError, match="has attached containers"):
        cli.main(["rm", "my_net2"], no_container)
    run(capsys, "disconnect", "my_net2", "ctr1")
    run(capsys, "disconnect", "my_net2", "ctr2")
    assert run(capsys, "rm", "my_net2") == "my_net2\n"


def test_usage_errors_are_runtime_failures(world):
    with pytest.raises(InvalidArgument, match=r"network: create: wrong number of arguments \(usage: ") as caught:
        cli.main(["create"], no_container)
    assert caught.value.exit_code == 2
    with pytest.raises(InvalidArgument, match="network: no such command: frobnicate"):
        cli.main(["frobnicate"], no_container)
    with pytest.raises(InvalidArgument, match="network: flag provided but not defined: --bogus"):
        cli.main(["create", "--bogus", "x"], no_container)


def test_importing_the_package_and_checking_annotations_loads_no_netlink_library():
    code = ("import sys, ociruntime.network as n; n.wants_network({}); n.attach('x', 1, {});"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pyroute2', 'ctypes', 'ipaddress', 'json')))")
    out = subprocess.run([sys.executable, "-S", "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": REPO}).stdout
    assert out.strip() == "[]"
