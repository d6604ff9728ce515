"""linux.resources of real containers, read back from the kernel and seen to bite: memory (OOM kill),
pids (fork refused), cpu (shares/quota/period), devices (v1 devices cgroup / v2 eBPF program)."""
import json
import os
import subprocess

import pytest

from conftest import reap_orphans

from .conftest import V1, keyed, read_cg, wait_for

MiB = 1 << 20
# tail keeps a line in memory until its newline: 200 MiB of zeros without one grows it past any small limit
EAT_MEMORY = "head -c 200m /dev/zero | tail; echo tail-exit=$?"


def set_resources(bundle, **sections):
    bundle.config["linux"].setdefault("resources", {}).update(sections)
    bundle.save()


@pytest.mark.cgroupv2
def test_memory_limit_is_the_kernels_and_an_allocation_past_it_is_oom_killed(runtime, bundle, containers):
    set_resources(bundle, memory={"limit": 32 * MiB, "swap": 32 * MiB})
    cid, pid = containers.create("sh", "-c", f"{EAT_MEMORY}; sleep 100")
    if V1:
        assert int(read_cg(pid, "memory", "memory.limit_in_bytes")) == 32 * MiB
        assert int(read_cg(pid, "memory", "memory.memsw.limit_in_bytes")) == 32 * MiB
        oom_kills = lambda: keyed(read_cg(pid, "memory", "memory.oom_control")).get("oom_kill", 0)
    else:
        assert int(read_cg(pid, "memory", "memory.max")) == 32 * MiB
        assert read_cg(pid, "memory", "memory.swap.max") == "0"
        oom_kills = lambda: keyed(read_cg(pid, "memory", "memory.events")).get("oom_kill", 0)
    wait_for(lambda: "tail-exit=" in containers.output(cid), timeout=60, what="tail to be killed")
    assert "tail-exit=137" in containers.output(cid)        # 128 + SIGKILL: the OOM killer's
    assert oom_kills() >= 1
    stats = json.loads(runtime("events", "--stats", cid).stdout)["data"]
    assert stats["memory"]["usage"]["limit"] == 32 * MiB
    if V1:      # the peak (v2's memory.peak is 5.19+, and this runtime's stats report it only if present)
        assert stats["memory"]["usage"]["max"] == 32 * MiB
    runtime("delete", "--force", cid)


@pytest.mark.cgroupv2
def test_events_streams_an_oom_event(runtime, bundle, containers):
    set_resources(bundle, memory={"limit": 32 * MiB, "swap": 32 * MiB})
    cid, pid = containers.create("sleep", "1000")
    events = subprocess.Popen(runtime.cmd + ["--root", runtime.root, "events", "--interval", "1s", cid],
                              stdout=subprocess.PIPE, text=True)
    try:
        first = json.loads(events.stdout.readline())
        assert (first["type"], first["id"]) == ("stats", cid)
        containers.exec_detached(cid, "sh", "-c", EAT_MEMORY)
        wait_for(lambda: "tail-exit=137" in containers.output(cid), timeout=60, what="the memory eater's OOM kill")
        seen = []
        while not seen or seen[-1]["type"] != "oom":
            seen.append(json.loads(events.stdout.readline()))
        assert seen[-1] == {"type": "oom", "id": cid}
        runtime("kill", cid, "KILL")
        # the killed init waits for its namespace's exec-ed zombie, ours (we are the subreaper) to reap
        wait_for(lambda: reap_orphans() or events.poll() is not None, timeout=30, what="the stream to end")
        assert events.returncode == 0
    finally:
        if events.poll() is None:
            events.kill()
            events.wait()
    runtime("delete", "--force", cid)


@pytest.mark.cgroupv2
def test_pids_limit_refuses_forks(runtime, bundle, containers):
    set_resources(bundle, pids={"limit": 8})
    forks = "for i in 1 2 3 4 5 6 7 8 9 10 11 12; do sleep 100 & done"     # ash gives up at the first failure
    cid, pid = containers.create("sh", "-c", f"sh -c '{forks}'; echo inner-exit=$?; exec sleep 100")
    wait_for(lambda: "inner-exit=" in containers.output(cid), timeout=30, what="the fork loop")
    assert read_cg(pid, "pids", "pids.max") == "8"
    assert "can't fork" in containers.output(cid) and "inner-exit=0" not in containers.output(cid)
    assert 1 < int(read_cg(pid, "pids", "pids.current")) <= 8
    runtime("delete", "--force", cid)


@pytest.mark.cgroupv2
def test_cpu_shares_quota_and_period_are_the_kernels(runtime, bundle, containers):
    set_resources(bundle, cpu={"shares": 512, "quota": 25000, "period": 50000})
    cid, pid = containers.create("sleep", "100", start=False)
    if V1:
        assert read_cg(pid, "cpu", "cpu.shares") == "512"
        assert (read_cg(pid, "cpu", "cpu.cfs_quota_us"), read_cg(pid, "cpu", "cpu.cfs_period_us")) == ("25000", "50000")
    else:
        assert read_cg(pid, "cpu", "cpu.weight") == str(1 + (512 - 2) * 9999 // 262142)   # runc's conversion: 20
        assert read_cg(pid, "cpu", "cpu.max") == "25000 50000"
    runtime("delete", cid)


@pytest.mark.cgroupv2
def test_cpu_quota_throttles_a_busy_loop(runtime, bundle, containers):
    set_resources(bundle, cpu={"quota": 10000, "period": 100000})
    cid, pid = containers.create("sh", "-c", "while :; do :; done")
    wait_for(lambda: json.loads(runtime("events", "--stats", cid).stdout)["data"]["cpu"]["throttling"]
             .get("throttledPeriods", 0) >= 2, timeout=30, what="throttled periods")
    runtime("delete", "--force", cid)


def device_bundle(bundle, rules):
    """Docker's deny-all, then `rules`; a char node for /dev/kmsg (1:11, not one of runc's default
    allowed devices) in the rootfs; the allowed defaults (/dev/null) in /dev."""
    node = os.path.join(bundle.rootfs, "tmp", "kmsg")
    if not os.path.exists(node):
        os.mknod(node, 0o666 | 0o020000, os.makedev(1, 11))
    set_resources(bundle, devices=[{"allow": False, "access": "rwm"}] + rules)


PROBE = ("echo x > /dev/null && echo null-write=ok; "
         "true < /tmp/kmsg && echo kmsg-read=ok; true > /tmp/kmsg && echo kmsg-write=ok; true")


@pytest.mark.cgroupv2
def test_a_device_outside_the_allow_list_cannot_be_opened(runtime, bundle):
    device_bundle(bundle, [])
    bundle.set_args("sh", "-c", PROBE)
    proc = runtime("run", "--bundle", bundle.path, "dev1")
    assert "null-write=ok" in proc.stdout
    assert "kmsg-read=ok" not in proc.stdout and "kmsg-write=ok" not in proc.stdout
    assert proc.stderr.count("Operation not permitted") == 2


@pytest.mark.cgroupv2
def test_an_allow_rule_grants_only_its_access(runtime, bundle):
    device_bundle(bundle, [{"allow": True, "type": "c", "major": 1, "minor": 11, "access": "r"}])
    bundle.set_args("sh", "-c", PROBE)
    proc = runtime("run", "--bundle", bundle.path, "dev3")
    assert "null-write=ok" in proc.stdout and "kmsg-read=ok" in proc.stdout
    assert "kmsg-write=ok" not in proc.stdout and "Operation not permitted" in proc.stderr


@pytest.mark.cgroupv2
def test_a_later_deny_overrides_an_earlier_allow(runtime, bundle):
    device_bundle(bundle, [{"allow": True, "type": "c", "major": 1, "minor": 11, "access": "rw"},
                           {"allow": False, "type": "c", "major": 1, "minor": 11, "access": "w"}])
    bundle.set_args("sh", "-c", PROBE)
    proc = runtime("run", "--bundle", bundle.path, "dev4")
    assert "kmsg-read=ok" in proc.stdout and "kmsg-write=ok" not in proc.stdout
