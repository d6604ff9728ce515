"""Resource limits as the kernel shows them, and their effect on real processes."""

import json
import os
import subprocess
import sys

import pytest
from support import SAMPLES

from .conftest import BUSYBOX, read_cgfile

pytestmark = pytest.mark.cgroupv2
MB = 1 << 20


def test_memory_limit_and_reservation_read_back(sandbox):
    mgr = sandbox.manager()
    mgr.create({"memory": {"limit": 64 * MB, "reservation": 32 * MB, "swap": 128 * MB}})
    if mgr.version == 1:
        assert int(read_cgfile(mgr, "memory", "memory.limit_in_bytes")) == 64 * MB
        assert int(read_cgfile(mgr, "memory", "memory.soft_limit_in_bytes")) == 32 * MB
        assert int(read_cgfile(mgr, "memory", "memory.memsw.limit_in_bytes")) == 128 * MB
    else:
        assert int(read_cgfile(mgr, "memory", "memory.max")) == 64 * MB
        assert int(read_cgfile(mgr, "memory", "memory.low")) == 32 * MB
        if os.path.exists(os.path.join(mgr.path, "memory.swap.max")):
            assert int(read_cgfile(mgr, "memory", "memory.swap.max")) == 64 * MB


def test_allocating_past_the_limit_gets_oom_killed(sandbox):
    mgr = sandbox.manager()
    mgr.create({"memory": {"limit": 24 * MB, "swap": 24 * MB}})
    assert mgr.oom_events() == 0
    proc = sandbox.spawn(mgr, [BUSYBOX, "dd", "if=/dev/zero", "of=/dev/null", "bs=96M", "count=1"],
                         stderr=subprocess.DEVNULL)
    assert proc.wait(timeout=30) == -9
    assert mgr.oom_events() >= 1


def test_pids_limit_makes_fork_fail(sandbox):
    mgr = sandbox.manager()
    mgr.create({"pids": {"limit": 4}})
    forker = ("import os, time\n"
              "kids, err = [], ''\n"
              "for _ in range(8):\n"
              "    try:\n"
              "        pid = os.fork()\n"
              "    except OSError as e:\n"
              "        err = e.strerror; break\n"
              "    if pid == 0:\n"
              "        time.sleep(2); os._exit(0)\n"
              "    kids.append(pid)\n"
              "print(len(kids), err, flush=True)\n"
              "for k in kids: os.kill(k, 9); os.waitpid(k, 0)\n")
    proc = sandbox.spawn(mgr, [sys.executable, "-S", "-c", forker], stdout=subprocess.PIPE, text=True)
    out, _ = proc.communicate(timeout=30)
    forked, _, err = out.strip().partition(" ")
    assert int(forked) == 3 and "Resource temporarily unavailable" in err
    assert read_cgfile(mgr, "pids", "pids.max") == "4"


def test_cpu_shares_quota_period_read_back(sandbox):
    mgr = sandbox.manager()
    mgr.create({"cpu": {"shares": 512, "quota": 50000, "period": 100000}})
    if mgr.version == 1:
        assert read_cgfile(mgr, "cpu", "cpu.shares") == "512"
        assert read_cgfile(mgr, "cpu", "cpu.cfs_quota_us") == "50000"
        assert read_cgfile(mgr, "cpu", "cpu.cfs_period_us") == "100000"
    else:
        assert read_cgfile(mgr, "cpu", "cpu.weight") == str(1 + ((512 - 2) * 9999) // 262142)
        assert read_cgfile(mgr, "cpu", "cpu.max") == "50000 100000"


def test_cpu_burst_and_idle_read_back(sandbox):
    mgr = sandbox.manager()
    mgr.create({"cpu": {"quota": 50000, "period": 100000, "burst": 20000, "idle": 1}})
    burst_file = "cpu.cfs_burst_us" if mgr.version == 1 else "cpu.max.burst"
    assert read_cgfile(mgr, "cpu", burst_file) == "20000"
    assert read_cgfile(mgr, "cpu", "cpu.idle") == "1"


def test_cpuset_pins_the_process(sandbox):
    mgr = sandbox.manager()
    mgr.create({"cpu": {"cpus": "0", "mems": "0"}})
    proc = sandbox.spawn(mgr, [BUSYBOX, "sleep", "30"])
    assert os.sched_getaffinity(proc.pid) == {0}


def test_update_changes_live_limits(sandbox):
    mgr = sandbox.manager()
    mgr.create({"memory": {"limit": 64 * MB}, "pids": {"limit": 10}})
    sandbox.spawn(mgr, [BUSYBOX, "sleep", "30"])
    with open(os.path.join(SAMPLES, "update-resources.json")) as f:
        update = json.load(f)
    mgr.update(update)
    if mgr.version == 1:
        assert int(read_cgfile(mgr, "memory", "memory.limit_in_bytes")) == update["memory"]["limit"]
        assert int(read_cgfile(mgr, "memory", "memory.memsw.limit_in_bytes")) == update["memory"]["swap"]
        assert read_cgfile(mgr, "cpu", "cpu.cfs_quota_us") == "50000"
    else:
        assert int(read_cgfile(mgr, "memory", "memory.max")) == update["memory"]["limit"]
        assert read_cgfile(mgr, "cpu", "cpu.max") == "50000 100000"
    assert read_cgfile(mgr, "pids", "pids.max") == "50"
    mgr.update({"memory": {"limit": -1}, "pids": {"limit": -1}})
    assert mgr.stats()["memory"]["usage"]["limit"] > (1 << 60)
    assert read_cgfile(mgr, "pids", "pids.max") == "max"


def test_docker_sample_resources_apply(sandbox):
    with open(os.path.join(SAMPLES, "config.json")) as f:
        resources = json.load(f)["linux"]["resources"]
    mgr = sandbox.manager()
    mgr.create(resources)
    assert sandbox.spawn(mgr, [BUSYBOX, "true"]).wait(timeout=10) == 0


def a_disk():
    """(major, minor) of a real block device (not loop/zram/ram), or skip."""
    for name in sorted(os.listdir("/sys/block")):
        if not name.startswith(("loop", "zram", "ram")):
            with open(f"/sys/block/{name}/dev") as f:
                return tuple(int(n) for n in f.read().split(":"))
    pytest.skip("no block device to throttle")


def test_blkio_throttles_read_back(sandbox):
    major, minor = a_disk()
    mgr = sandbox.manager()
    dev = {"major": major, "minor": minor}
    mgr.create({"blockIO": {"throttleReadBpsDevice": [dict(dev, rate=1048576)],
                            "throttleWriteIOPSDevice": [dict(dev, rate=100)]}})
    if mgr.version == 1:
        assert read_cgfile(mgr, "blkio", "blkio.throttle.read_bps_device") == f"{major}:{minor} 1048576"
        assert read_cgfile(mgr, "blkio", "blkio.throttle.write_iops_device") == f"{major}:{minor} 100"
    else:
        line = read_cgfile(mgr, "io", "io.max")
        assert line.startswith(f"{major}:{minor} ") and "rbps=1048576" in line and "wiops=100" in line


def test_blkio_weight_read_back(sandbox):
    mgr = sandbox.manager()
    mgr.create({"blockIO": {"weight": 500}})
    if mgr.version == 1:
        name = "blkio.weight" if os.path.exists(os.path.join(mgr._dir("blkio"), "blkio.weight")) else "blkio.bfq.weight"
        assert read_cgfile(mgr, "blkio", name).split()[-1] == "500"
    elif os.path.exists(os.path.join(mgr.path, "io.bfq.weight")):
        assert read_cgfile(mgr, "io", "io.bfq.weight").split()[-1] == "500"
    else:
        assert read_cgfile(mgr, "io", "io.weight") == f"default {1 + (500 - 10) * 9999 // 990}"
