"""SIGKILL the runtime at every phase of create, start, exec and delete, and after a sweep
of delays through each: one `delete --force` afterwards leaves nothing (tests/reliability/
sweep.py says what is checked, from the kernel). Issue 14."""
import pytest

from support import cgroup_path, new_id

from .sweep import Sweep


@pytest.fixture
def sweep(runtime, bundle, remove_test_cgroup_parents):
    bundle.set_args("sleep", "1000")
    cid = new_id("k")

    def make(setup, command):
        return Sweep(runtime, cid, cgroup_path(bundle), bundle.path, setup, command)
    make.cid = cid
    make.bundle = bundle.path
    return make


def check(s, phases, at_least):
    print(s.report())
    assert not s.failures, s.report()
    assert len(phases) >= at_least and s.points >= len(phases), s.report()


def test_kill_during_create(sweep):
    s = sweep([], ["create", "--bundle", sweep.bundle, sweep.cid])
    check(s, s.run(delays=10, inside="cgroup", inside_delays=4), at_least=10)


def test_kill_during_start(sweep):
    s = sweep([["create", "--bundle", sweep.bundle, sweep.cid]], ["start", sweep.cid])
    check(s, s.run(), at_least=3)


def test_kill_during_exec(sweep):
    created = ["create", "--bundle", sweep.bundle, sweep.cid]
    s = sweep([created, ["start", sweep.cid]], ["exec", "--detach", sweep.cid, "sleep", "1000"])
    check(s, s.run(), at_least=3)


def test_kill_during_delete(sweep):
    created = ["create", "--bundle", sweep.bundle, sweep.cid]
    s = sweep([created, ["start", sweep.cid]], ["delete", "--force", sweep.cid])
    check(s, s.run(), at_least=4)
