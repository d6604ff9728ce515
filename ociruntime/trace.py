"""--trace FILE (or OCIRUNTIME_TRACE): how long each phase of one call took, so the
next optimisation is chosen from data. Appends one JSON line per call.

With OCIRUNTIME_KILL_AT=PHASE as well, the call SIGKILLs itself as that phase ends:
tests/reliability kills the runtime at every phase this way. Read only when tracing:
a call without --trace pays nothing for it."""
import os
import time

from . import jsonio


class Trace:
    def __init__(self, path, command):
        self.path = path
        self.command = command
        self.start = time.perf_counter()
        self.last = self.start
        # CPU time spent before main(): the interpreter's start-up and our imports
        self.phases = [("interpreter start to main (cpu)", time.process_time() * 1000)]
        self.kill_at = os.environ.get("OCIRUNTIME_KILL_AT")

    def __call__(self, phase):
        now = time.perf_counter()
        self.phases.append((phase, (now - self.last) * 1000))
        self.last = now
        if phase == self.kill_at:
            os.kill(os.getpid(), 9)  # SIGKILL (the signal module costs an import)

    def write(self):
        record = {"command": self.command, "pid": os.getpid(), "total_ms": (time.perf_counter() - self.start) * 1000,
                  "phases_ms": dict(self.phases)}
        with open(self.path, "a") as f:
            f.write(jsonio.dumps(record) + "\n")


class DebugTrace(Trace):
    """--debug: each phase a traced call passes (create's config, cgroup, clone, ...) as
    a debug line of the log, then to the --trace recorder when there is one."""

    def __init__(self, log, what, inner=None):
        self.log = log
        self.what = what
        self.inner = inner

    def __call__(self, phase):
        self.log.debug(f"{self.what}: {phase}")
        if self.inner:
            self.inner(phase)

    def write(self):
        if self.inner:
            self.inner.write()
