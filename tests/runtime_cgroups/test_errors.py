"""Bad input to the cgroup side of the runtime: refused with a one-line error naming the field, a
non-zero exit, and nothing left behind (no state dir, no cgroup dir in any hierarchy, no process)."""
import json
import os

import pytest

from .conftest import V1, cgroup_dirs_for, read_cg, wait_for

V2_TOO = pytest.mark.cgroupv2     # the VM is slow: a few that exercise v2's own conversions and writes
BAD_RESOURCES = [
    pytest.param("memory.limit", {"memory": {"limit": -5}}, marks=V2_TOO),
    pytest.param("memory.swap", {"memory": {"limit": 64 << 20, "swap": 32 << 20}}, marks=V2_TOO),  # below memory
    pytest.param("pids.limit", {"pids": {"limit": -7}}),
    pytest.param("cpu.shares", {"cpu": {"shares": 1 << 40}}, marks=V2_TOO),
    pytest.param("cpu.quota", {"cpu": {"quota": -20, "period": 100000}}),
    pytest.param("cpu.period", {"cpu": {"quota": 50000, "period": 1 << 60}}, marks=V2_TOO),
    pytest.param("cpu.cpus", {"cpu": {"cpus": "0-4095"}}),
    pytest.param("devices[0].type", {"devices": [{"allow": True, "type": "x", "access": "rwm"}]}, marks=V2_TOO),
    pytest.param("devices[0].access", {"devices": [{"allow": True, "type": "c", "access": "xyz"}]}),
]


def failed(proc):
    """The one-line error of a refused command (the runtime logs it to stderr and to --log)."""
    assert proc.returncode != 0 and proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    return lines[0]


@pytest.mark.parametrize("field,resources", BAD_RESOURCES, ids=[p.values[0] for p in BAD_RESOURCES])
def test_create_refuses_bad_resources_and_leaves_nothing(runtime, bundle, field, resources):
    bundle.config["linux"]["resources"] = {**bundle.config["linux"].get("resources", {}), **resources}
    bundle.set_args("sleep", "100")
    error = failed(runtime("create", "--bundle", bundle.path, "bad", check=False, stdin=open(os.devnull)))
    assert f"linux.resources.{field}" in error
    assert os.listdir(runtime.root) == [] if os.path.isdir(runtime.root) else True
    assert [d for d in cgroup_dirs_for(bundle) if os.path.exists(d)] == []
    assert runtime("list", "-q").stdout == ""


def stopped(runtime, containers):
    cid, pid = containers.create("true")
    wait_for(lambda: runtime.state(cid)["status"] == "stopped")
    return cid


@pytest.mark.cgroupv2
def test_update_pause_resume_of_a_stopped_container_fail(runtime, containers):
    cid = stopped(runtime, containers)
    for args in (["update", "--memory", "64m"], ["pause"], ["resume"]):
        error = failed(runtime(*args, cid, check=False))
        assert cid in error and "stopped" in error, error
    runtime("delete", cid)


@pytest.mark.cgroupv2
def test_commands_on_an_unknown_container_fail(runtime):
    for args in (["update", "--pids-limit", "10"], ["pause"], ["resume"], ["ps"], ["events", "--stats"]):
        error = failed(runtime(*args, "nosuch", check=False))
        assert "nosuch does not exist" in error, error


@pytest.mark.cgroupv2
def test_resume_of_a_running_container_fails(runtime, containers):
    cid, pid = containers.create("sleep", "100")
    error = failed(runtime("resume", cid, check=False))
    assert "running" in error
    assert runtime.state(cid)["status"] == "running"
    runtime("delete", "--force", cid)


@pytest.mark.cgroupv2
def test_update_refuses_bad_values_and_keeps_the_old_limits(runtime, bundle, containers):
    bundle.config["linux"]["resources"]["pids"] = {"limit": 20}
    cid, pid = containers.create("sleep", "100")
    memory_file = "memory.limit_in_bytes" if V1 else "memory.max"
    before = (read_cg(pid, "pids", "pids.max"), read_cg(pid, "memory", memory_file))
    for args, field in ((["--pids-limit", "-9"], "linux.resources.pids.limit"),
                        (["--memory", "-5"], "linux.resources.memory.limit"),
                        (["--cpu-share", "lots"], "--cpu-share"),
                        (["--memory", "12zb"], "12zb")):
        error = failed(runtime("update", *args, cid, check=False))
        assert field in error, error
    for text in ("{not json", "[1, 2]"):
        error = failed(runtime("update", "--resources", "-", cid, check=False, input=text))
        assert "--resources" in error, error
    assert (read_cg(pid, "pids", "pids.max"), read_cg(pid, "memory", memory_file)) == before
    saved = json.load(open(os.path.join(runtime.root, cid, "state.json")))["config"]["linux"]["resources"]
    assert saved["pids"] == {"limit": 20} and "memory" not in saved
    runtime("delete", "--force", cid)
