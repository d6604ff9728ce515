"""linux.resources of real containers, read back from the kernel and seen to bite: memory (OOM kill),
pids (fork refused), cpu (shares/quota/period), devices (v1 devices cgroup / v2 eBPF program)."""
import json
import os
import stat
import subprocess

import pytest

from .conftest import V1, keyed, read_cg, wait_for

MiB = 1 << 20
# tail keeps a line in memory until its newline: 200 MiB of zeros without one grows it past any small limit.
# The eaters volunteer as the OOM killer's victims: a second OOM (head's, while tail's memory is still
# being freed) must not take the container's init.
EAT_MEMORY = "(echo 1000 > /proc/self/oom_score_adj; head -c 200m /dev/zero | tail); echo tail-exit=$?"


def limited_memory(bundle, limit):
    """Memory and memory+swap (no swapping instead of an OOM kill) limited to `limit`."""
    set_resources(bundle, memory={"limit": limit, "swap": limit})


def set_resources(bundle, **sections):
    bundle.config["linux"].setdefault("resources", {}).update(sections)
    bundle.save()


@pytest.mark.cgroupv2
def test_memory_limit_is_the_kernels_and_an_allocation_past_it_is_oom_killed(runtime, bundle, containers):
    limited_memory(bundle, 32 * MiB)
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
    if V1:      # the peak, memory.max_usage_in_bytes (v2 reports memory.peak where the kernel has it)
        assert stats["memory"]["usage"]["max"] == 32 * MiB
    runtime("delete", "--force", cid)


@pytest.mark.cgroupv2
def test_events_streams_an_oom_event(runtime, bundle, containers):
    limited_memory(bundle, 32 * MiB)
    cid, pid = containers.create("sleep", "1000")
    events = subprocess.Popen(runtime.cmd + ["--root", runtime.root, "events", "--interval", "1s", cid],
                              stdout=subprocess.PIPE, text=True)
    try:
        first = json.loads(events.stdout.readline())
        assert (first["type"], first["id"]) == ("stats", cid)
        containers.exec_detached(cid, "sh", "-c", EAT_MEMORY)
        wait_for(lambda: "tail-exit=137" in containers.output(cid), timeout=60, what="the memory eater's OOM kill")
        for _ in range(60):                   # stats come every second: the oom one is due long before
            event = json.loads(events.stdout.readline())
            if event["type"] != "stats":
                break
        assert event == {"type": "oom", "id": cid}
        runtime("kill", cid, "KILL")
        wait_for(lambda: containers.reap_execs() or events.poll() is not None, timeout=30, what="the stream to end")
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


# A char device number no driver has (240-254 are for local use): opening its node fails either way,
# but the device cgroup checks first, so EPERM means "denied by the container's device rules" and
# ENXIO "allowed, and the kernel went on to look for a driver". Harmless on any host.
FREE_MAJOR, FREE_MINOR = 241, 7
PROBE = "echo x > /dev/null && echo null-write=ok; true < /tmp/dev; true > /tmp/dev; true"
DENIED, NO_DRIVER = "Operation not permitted", "No such device or address"


def run_probe(runtime, bundle, rules):
    """Docker's deny-all, then `rules`; a node for FREE_MAJOR:FREE_MINOR in the rootfs (not a
    linux.devices entry, so no implicit allow). {"null": wrote /dev/null, "read"/"write": errno text}."""
    node = os.path.join(bundle.rootfs, "tmp", "dev")
    os.mknod(node, 0o666 | stat.S_IFCHR, os.makedev(FREE_MAJOR, FREE_MINOR))
    set_resources(bundle, devices=[{"allow": False, "access": "rwm"}] + rules)
    bundle.set_args("sh", "-c", PROBE)
    proc = runtime("run", "--bundle", bundle.path, "probe")
    errors = dict(line.split(" /tmp/dev: ") for line in proc.stderr.splitlines() if "/tmp/dev" in line)
    return {"null": "null-write=ok" in proc.stdout, "read": errors.get("sh: can't open"),
            "write": errors.get("sh: can't create")}


@pytest.mark.cgroupv2
def test_a_device_outside_the_allow_list_cannot_be_opened(runtime, bundle):
    assert run_probe(runtime, bundle, []) == {"null": True, "read": DENIED, "write": DENIED}


@pytest.mark.cgroupv2
def test_an_allow_rule_grants_only_its_access(runtime, bundle):
    rules = [{"allow": True, "type": "c", "major": FREE_MAJOR, "minor": FREE_MINOR, "access": "r"}]
    assert run_probe(runtime, bundle, rules) == {"null": True, "read": NO_DRIVER, "write": DENIED}


@pytest.mark.cgroupv2
def test_a_later_deny_overrides_an_earlier_allow(runtime, bundle):
    # the same device both times: v1's devices.deny only takes access away from an identical entry
    rules = [{"allow": True, "type": "c", "major": FREE_MAJOR, "minor": FREE_MINOR, "access": "rw"},
             {"allow": False, "type": "c", "major": FREE_MAJOR, "minor": FREE_MINOR, "access": "w"}]
    assert run_probe(runtime, bundle, rules) == {"null": True, "read": NO_DRIVER, "write": DENIED}


@pytest.mark.cgroupv2
def test_a_wrong_type_rule_does_not_match(runtime, bundle):
    rules = [{"allow": True, "type": "b", "major": FREE_MAJOR, "minor": FREE_MINOR, "access": "rw"}]
    assert run_probe(runtime, bundle, rules) == {"null": True, "read": DENIED, "write": DENIED}


def test_runcs_default_devices_come_after_the_specs_rules(runtime, bundle):
    """As runc (specconv appends AllowedDevices): a spec rule cannot take /dev/null away."""
    assert run_probe(runtime, bundle, [{"allow": False, "type": "c", "major": 1, "minor": 3, "access": "rwm"}]) == \
        {"null": True, "read": DENIED, "write": DENIED}
