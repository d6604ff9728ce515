"""Kill the runtime with SIGKILL in the middle of a call and see what `delete --force`
leaves, from the kernel (issue 14).

A kill point is either the end of a phase the call's --trace names (the runtime kills
itself there: OCIRUNTIME_KILL_AT, ociruntime/trace.py) or a delay after the call began
(a sweep over its normal duration, reaching inside phases: a cgroup half made, a veth
half plumbed). After each kill: the id must still be known (`state` answers, `list`
shows it) as long as its state dir is there, and one `delete --force` must exit 0 and
leave nothing of the container. Each case gets the same id: a case whose id stayed
taken fails the next one's create."""
import json
import os
import signal
import subprocess
import time

from support import detached, mounts_mentioning, own_cgroup_dirs, processes_in, reap_orphans

KILL_AT = "OCIRUNTIME_KILL_AT"


PF_EXITING = 0x4


_NOT_OURS = set()


def ignore_present_children():
    """The session's children before a sweep starts (engine daemons a fixture started,
    orphaned to the subreaper) are no killed runtime's leftovers, and never to be killed."""
    _NOT_OURS.update(live_children(exiting_too=True))


def live_children(exiting_too=False):
    """Our children still running user code: the test process is the session's
    subreaper, so processes a killed runtime orphaned come back to it. exiting_too: and
    those the kernel is still taking down (SIGKILLed, PF_EXITING set)."""
    me, found = os.getpid(), []
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        exiting = int(fields[6]) & PF_EXITING
        if int(fields[1]) == me and fields[0] not in ("Z", "X") and (exiting_too or not exiting) \
                and int(entry) not in _NOT_OURS:
            found.append(int(entry))
    return found


def describe(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            cmdline = f.read().replace(b"\0", b" ").decode().strip()
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        return f"{pid} ({state}) {cmdline}"
    except OSError:
        return f"{pid} (gone)"


def wait_exited(timeout=5):
    """Reap our children while the SIGKILLed ones finish exiting (a kernel matter of
    milliseconds); those left after `timeout` s are reported."""
    deadline = time.monotonic() + timeout
    while True:
        reap_orphans()
        left = live_children(exiting_too=True)
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.01)


class Sweep:
    """Kill points over one command; `failures` lists the cases that needed more than
    one `delete --force`, with what was left."""

    def __init__(self, runtime, cid, cgroups_path, bundle_path, setup, args, extra_check=None):
        self.runtime = runtime
        self.cid = cid
        self.cgroups_path = cgroups_path
        self.bundle_path = bundle_path
        self.setup = setup            # the runtime calls that come before the command
        self.args = args              # the command killed
        self.extra_check = extra_check  # () -> {kind: leftovers} (network endpoints)
        self.trace = os.path.join(runtime.root + ".trace")
        self.points = 0
        self.failures = []
        ignore_present_children()

    def _popen(self, env):
        return subprocess.Popen(self.runtime.cmd + ["--root", self.runtime.root, "--trace", self.trace, *self.args],
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                env=env)

    def phases(self):
        """A normal run of the command: ({phase: (start, end) in s from the call's start},
        its wall time in s). Phase times are the trace's, shifted by the interpreter's
        start-up (the wall time the trace does not cover)."""
        self._set_up()
        if os.path.exists(self.trace):
            os.unlink(self.trace)
        began = time.monotonic()
        rc = self._popen(dict(os.environ)).wait()
        took = time.monotonic() - began
        assert rc == 0, f"{self.args} failed ({rc})"
        self.runtime("delete", "--force", self.cid)
        reap_orphans()
        with open(self.trace) as f:
            record = json.loads(f.read().splitlines()[-1])
        startup = took - record["total_ms"] / 1000
        phases, at = {}, startup
        for phase, ms in record["phases_ms"].items():
            if not phase.startswith("interpreter"):
                phases[phase] = (at, at + ms / 1000)
                at += ms / 1000
        return phases, took

    def kill_at_phase(self, phase):
        self._case(f"phase {phase!r}", env=dict(os.environ, **{KILL_AT: phase}))

    def kill_after(self, delay):
        self._case(f"{delay * 1000:.1f} ms", delay=delay)

    def _set_up(self):
        for args in self.setup:
            rc, _, err = detached(self.runtime, *args)
            assert rc == 0, f"{args}: {err}"

    def _case(self, what, env=None, delay=None):
        self._set_up()
        proc = self._popen(env or dict(os.environ))
        if delay is not None:
            time.sleep(delay)
            proc.send_signal(signal.SIGKILL)
        rc = proc.wait()
        killed = rc == -signal.SIGKILL
        self.points += killed
        problems = {}
        state_dir = os.path.join(self.runtime.root, self.cid)
        if os.path.isdir(state_dir):
            state = self.runtime("state", self.cid, check=False)
            if "does not exist" in state.stderr:
                problems["state"] = state.stderr.strip()
            if self.cid not in self.runtime("list", "-q", check=False).stdout.split():
                problems["list"] = "the id is not listed"
        delete = self.runtime("delete", "--force", self.cid, check=False)
        if delete.returncode != 0:
            problems["delete --force"] = delete.stderr.strip()
        running = live_children()  # once delete --force returned, none may run its own code
        if running:
            problems["processes running"] = [describe(pid) for pid in running]
        wait_exited()
        problems.update(self.leftovers())
        if problems:
            self.failures.append((what, "killed" if killed else f"exit {rc}", problems))
            self.clean_up()

    def leftovers(self):
        found = {}
        if os.path.exists(os.path.join(self.runtime.root, self.cid)):
            found["state dir"] = os.listdir(os.path.join(self.runtime.root, self.cid))
        cgroups = [d for d in own_cgroup_dirs(self.cgroups_path) if os.path.exists(d)]
        if cgroups:
            found["cgroups"] = cgroups
        processes = sorted(set(live_children(exiting_too=True)) | set(processes_in(self.bundle_path)))
        if processes:
            found["processes"] = [describe(pid) for pid in processes]
        mounts = mounts_mentioning(self.bundle_path) + mounts_mentioning(self.runtime.root)
        if mounts:
            found["mounts"] = mounts
        if self.extra_check:
            found.update(self.extra_check())
        return found

    def clean_up(self):
        """After a failed case: what a person would do, so the next case starts clean."""
        for pid in set(live_children(exiting_too=True)) | set(processes_in(self.bundle_path)):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.1)
        reap_orphans()
        self.runtime("delete", "--force", self.cid, check=False)
        for d in reversed([d for d in own_cgroup_dirs(self.cgroups_path) if os.path.exists(d)]):
            try:
                os.rmdir(d)
            except OSError:
                pass
        state_dir = os.path.join(self.runtime.root, self.cid)
        if os.path.isdir(state_dir):
            for name in os.listdir(state_dir):
                os.unlink(os.path.join(state_dir, name))
            os.rmdir(state_dir)

    def run(self, delays=8, inside=None, inside_delays=6):
        """Every phase, then `delays` delays spread over the command's normal run, and
        `inside_delays` more over phase `inside` (where a trace names no step)."""
        phases, took = self.phases()
        for phase in phases:
            self.kill_at_phase(phase)
        for i in range(delays):
            self.kill_after(took * (i + 0.5) / delays)
        if inside:
            start, end = phases[inside]
            for i in range(inside_delays):
                self.kill_after(start + (end - start) * (i + 0.5) / inside_delays)
        return list(phases)

    def report(self):
        lines = [f"{' '.join(self.args[:1])}: {self.points} kill points, {len(self.failures)} needing more than "
                 "delete --force"]
        lines += [f"  {what} ({how}): {problems}" for what, how, problems in self.failures]
        return "\n".join(lines)
