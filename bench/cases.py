"""The benchmark cases and the driver that runs them interleaved across runtimes.

A case has setup/sample/teardown per runtime; the driver runs setup for every runtime, then
samples round-robin (the starting runtime rotates each round, so no runtime always follows
the same other one), then teardown. A runtime whose call fails is marked failed for that
case and dropped from it; the others go on."""
import time
from dataclasses import dataclass, field

import containers
import spawn

SEQUENTIAL = 100
CONCURRENT = 10
LOADED = 100


@dataclass
class Env:
    """What cases need: container ids/bundles and the registry of live containers."""
    factory: containers.Factory
    registry: containers.Registry


@dataclass
class Sample:
    ms: float
    phases_ms: dict = field(default_factory=dict)


class Case:
    name = ""
    title = ""
    batch = False   # True: repeated --batch-runs times instead of --runs times

    def setup(self, env, rt):
        pass

    def sample(self, env, rt):
        raise NotImplementedError

    def teardown(self, env, rt):
        pass


class Run(Case):
    """`run` of /bin/true, timed from fork to reaping the runtime."""

    def __init__(self, name, title, kind):
        self.name, self.title, self.kind = name, title, kind

    def sample(self, env, rt):
        cid, path = env.factory.new(rt, self.kind)
        return Sample(containers.run_once(rt, env.registry, cid, path).elapsed_ms)


class Lifecycle(Case):
    name = "lifecycle"
    title = "create+start+wait+delete /bin/true"

    def sample(self, env, rt):
        cid, path = env.factory.new(rt, "true")
        t0 = time.perf_counter_ns()
        pid = containers.create(rt, env.registry, cid, path)
        pidfd = spawn.watch_pid(pid)
        t1 = time.perf_counter_ns()
        rt.call("start", cid)
        t2 = time.perf_counter_ns()
        if not spawn.wait_exit(pidfd, pid, rt.timeout_s):
            raise spawn.CallFailed(f"{cid}: /bin/true still running {rt.timeout_s:g} s after start")
        t3 = time.perf_counter_ns()
        rt.call("delete", cid)
        t4 = time.perf_counter_ns()
        env.registry.discard(rt, cid)
        phases = {"create": t1 - t0, "start": t2 - t1, "wait": t3 - t2, "delete": t4 - t3}
        return Sample((t4 - t0) / 1e6, {k: v / 1e6 for k, v in phases.items()})


class Sequential(Case):
    name = "seq100"
    title = f"{SEQUENTIAL} sequential runs (total)"
    batch = True

    def sample(self, env, rt):
        prepared = [env.factory.new(rt, "true") for _ in range(SEQUENTIAL)]
        t0 = time.perf_counter_ns()
        for cid, path in prepared:
            containers.run_once(rt, env.registry, cid, path)
        return Sample((time.perf_counter_ns() - t0) / 1e6)


class Concurrent(Case):
    name = "concurrent10"
    title = f"{CONCURRENT} concurrent runs (wall)"

    def sample(self, env, rt):
        prepared = [env.factory.new(rt, "true") for _ in range(CONCURRENT)]
        for cid, _ in prepared:
            env.registry.add(rt, cid)
        t0 = time.perf_counter_ns()
        running = [rt.spawn("run", "--bundle", path, cid) for cid, path in prepared]
        failures = []
        for (cid, _), spawned in zip(prepared, running):
            try:
                rt.finish(spawned)
                env.registry.discard(rt, cid)
            except spawn.CallFailed as exc:
                failures.append(exc)
        wall = (time.perf_counter_ns() - t0) / 1e6
        if failures:
            raise failures[0]
        return Sample(wall)


class Sleepers(Case):
    """Base for cases that need long-running `sleep` containers per runtime."""
    count = 1

    def __init__(self):
        self.sleepers = {}

    def setup(self, env, rt):
        started = self.sleepers.setdefault(rt.name, [])
        for _ in range(self.count):
            cid, path = env.factory.new(rt, "sleep")
            started.append((cid, containers.create_started(rt, env.registry, cid, path)))

    def teardown(self, env, rt):
        for cid, pid in self.sleepers.pop(rt.name, []):
            containers.stop(rt, env.registry, cid, pid)


class State(Sleepers):
    name = "state"
    title = "state of a running container"

    def sample(self, env, rt):
        cid, _ = self.sleepers[rt.name][0]
        return Sample(rt.call("state", cid).elapsed_ms)


class Kill(Sleepers):
    """`kill` of a running `sleep` container with SIGWINCH (ignored: it keeps running)."""
    name = "kill"
    title = "kill (SIGWINCH) of a running container"

    def sample(self, env, rt):
        cid, _ = self.sleepers[rt.name][0]
        return Sample(rt.call("kill", cid, "SIGWINCH").elapsed_ms)


class RunLoaded(Sleepers):
    name = "run-loaded"
    title = f"run /bin/true, {LOADED} containers running per runtime"
    count = LOADED

    def sample(self, env, rt):
        cid, path = env.factory.new(rt, "true")
        return Sample(containers.run_once(rt, env.registry, cid, path).elapsed_ms)


def all_cases():
    """Every case, in the order they run and are reported."""
    return [
        Run("run", "run /bin/true (own netns)", "true"),
        Run("run-hostnet", "run /bin/true (host netns)", "true-hostnet"),
        Lifecycle(),
        Sequential(),
        Concurrent(),
        State(),
        Kill(),
        RunLoaded(),
    ]


def run_case(case, env, runtimes, iterations):
    """Interleaved samples of one case: {runtime name: result dict}."""
    results = {rt.name: {"status": "ok", "samples_ms": [], "phases_ms": {}, "error": None} for rt in runtimes}

    def fail(rt, exc, active):
        if results[rt.name]["status"] == "ok":
            results[rt.name].update(status="failed", error=str(exc))
        if rt in active:
            active.remove(rt)

    active = list(runtimes)
    for rt in runtimes:
        try:
            case.setup(env, rt)
        except spawn.CallFailed as exc:
            fail(rt, exc, active)
    for i in range(iterations):
        for rt in _rotated(active, i):
            try:
                sample = case.sample(env, rt)
            except spawn.CallFailed as exc:
                fail(rt, exc, active)
                continue
            results[rt.name]["samples_ms"].append(sample.ms)
            for phase, ms in sample.phases_ms.items():
                results[rt.name]["phases_ms"].setdefault(phase, []).append(ms)
    for rt in runtimes:
        try:
            case.teardown(env, rt)
        except spawn.CallFailed as exc:
            fail(rt, f"teardown: {exc}", [])
    env.registry.force_delete_all()
    return results


def _rotated(items, shift):
    if not items:
        return []
    shift %= len(items)
    return items[shift:] + items[:shift]
