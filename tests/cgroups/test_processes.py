"""Processes in the cgroup: listing, freezing, signalling, statistics."""

import time

import pytest

from support import wait_for

from .conftest import BUSYBOX

pytestmark = pytest.mark.cgroupv2

COUNTER = 'i=0; while true; do i=$((i+1)); echo $i > "$0"; done'


def read_counter(path):
    """The loop's last value (retrying over the instant the shell truncates the file)."""
    for _ in range(200):
        with open(path) as f:
            text = f.read().strip()
        if text:
            return int(text)
        time.sleep(0.005)
    return 0


def test_pids_lists_the_processes_recursively(sandbox):
    mgr = sandbox.manager()
    mgr.create({})
    shell = sandbox.spawn(mgr, [BUSYBOX, "sh", "-c", f"{BUSYBOX} sleep 30 & {BUSYBOX} sleep 30 & wait"])
    wait_for(lambda: len(mgr.pids()) == 3)
    assert shell.pid in mgr.pids()
    assert mgr.stats()["pids"]["current"] == 3


def test_freeze_stops_a_counter_and_thaw_resumes_it(sandbox, tmp_path):
    mgr = sandbox.manager()
    mgr.create({})
    counter = tmp_path / "count"
    sandbox.spawn(mgr, [BUSYBOX, "sh", "-c", COUNTER, str(counter)])
    wait_for(lambda: counter.exists() and read_counter(counter) > 10)
    mgr.freeze()
    assert mgr.is_frozen()
    frozen_at = read_counter(counter)
    time.sleep(0.3)
    assert read_counter(counter) == frozen_at
    mgr.thaw()
    assert not mgr.is_frozen()
    wait_for(lambda: read_counter(counter) > frozen_at + 10)


def test_kill_all_signals_every_process(sandbox):
    mgr = sandbox.manager()
    mgr.create({})
    procs = [sandbox.spawn(mgr, [BUSYBOX, "sleep", "30"]) for _ in range(3)]
    mgr.kill_all(15)
    assert [p.wait(timeout=10) for p in procs] == [-15, -15, -15]
    assert not mgr.is_frozen()


def test_sigkill_reaches_a_paused_container(sandbox):
    mgr = sandbox.manager()
    mgr.create({})
    proc = sandbox.spawn(mgr, [BUSYBOX, "sh", "-c", f"{BUSYBOX} sleep 30 & wait"])
    wait_for(lambda: len(mgr.pids()) == 2)
    mgr.freeze()
    mgr.kill_all(9)
    assert proc.wait(timeout=10) == -9
    wait_for(lambda: mgr.pids() == [])


def test_stats_numbers_move(sandbox):
    mgr = sandbox.manager()
    mgr.create({"memory": {"limit": 256 << 20}, "pids": {"limit": 20}})
    before = mgr.stats()
    script = 'x=$(head -c 4000000 /dev/zero | tr "\\0" a); while true; do :; done'
    busy = sandbox.spawn(mgr, [BUSYBOX, "sh", "-c", script])
    wait_for(lambda: mgr.stats()["cpu"]["usage"].get("total", 0) > 100_000_000 and len(mgr.pids()) == 1)
    after = mgr.stats()
    assert after["cpu"]["usage"]["total"] > before["cpu"]["usage"].get("total", 0)
    assert after["cpu"]["usage"]["user"] > 0
    assert after["memory"]["usage"]["usage"] > 1 << 20
    assert after["memory"]["usage"]["limit"] == 256 << 20
    assert after["pids"] == {"current": 1, "limit": 20}
    busy.kill()
