"""The runtimes under test: where each binary is, whether it works, how it is invoked
(always with its own --root in the bench's temp dir), and the peak RSS of every call."""
import os
import shutil
import subprocess
from collections import defaultdict
from dataclasses import dataclass, field

import spawn

KNOWN = ("ociruntime", "runc", "crun")

# What each runtime does about cgroups on this hybrid host; the bench adds what it observed.
CGROUP_NOTES = {
    "runc": "cgroup v1 via runc's cgroupfs driver; a relative cgroupsPath is joined to runc's own "
            "cgroup in each hierarchy (also creates it in cgroup2 'unified')",
    "crun": "cgroup v1 via crun's cgroupfs driver (hybrid mode), run in a private mount namespace "
            "where an empty file hides /sys/fs/cgroup/unified/cgroup.controllers (crun 1.8.1 refuses "
            "hybrid mode when it lists a controller) and the bench's own cgroup is bind-mounted over "
            "each v1 hierarchy whose own cgroup is not '/' (crun roots a relative cgroupsPath at the "
            "hierarchy root)",
    "ociruntime": "cgroup v1 (cgroupfs); a relative cgroupsPath beneath its own cgroup",
}


@dataclass
class Runtime:
    """A runtime CLI as the bench calls it."""
    name: str
    binary: str
    root: str
    timeout_s: float
    version: str = ""
    mntns_fd: int = None
    spawner: object = None   # launcher.Launcher, or spawn.ForkSpawner as a fallback
    rss_kb: dict = field(default_factory=lambda: defaultdict(list))

    def argv(self, *args):
        return [self.binary, "--root", self.root, *args]

    def spawn(self, *args):
        return self.spawner.spawn(self.argv(*args), self.mntns_fd)

    def finish(self, handle):
        """Wait for a spawned call; raise CallFailed if it failed, else record its peak RSS."""
        call = self.spawner.wait(handle, self.timeout_s).check()
        self.rss_kb[handle.argv[3]].append(call.maxrss_kb)
        return call

    def call(self, *args):
        return self.finish(self.spawn(*args))

    def call_unchecked(self, *args, timeout_s=10):
        """For cleanup: forked straight from the bench, so it works whatever state the
        spawner is in; failures are expected (the container may already be gone)."""
        return spawn.run(self.argv(*args), min(timeout_s, self.timeout_s), self.mntns_fd)


def locate(name, ociruntime_path=None):
    """(binary path, None) or (None, why not)."""
    if name == "ociruntime" and ociruntime_path:
        candidate = ociruntime_path
    else:
        candidate = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin:/sbin:/bin")
    if not candidate:
        return None, f"{name} not found on PATH"
    if not os.path.exists(candidate):
        return None, f"{candidate} not found"
    if not os.access(candidate, os.X_OK):
        return None, f"{candidate} is not executable"
    return os.path.abspath(candidate), None


def version_of(binary, timeout_s=10):
    """(first line of `--version`, None) or (None, why it failed)."""
    try:
        done = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=timeout_s)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, f"`{binary} --version`: {exc}"
    if done.returncode != 0:
        detail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return None, f"`{binary} --version` exit {done.returncode}: {detail[:200]}"
    return (done.stdout.strip().splitlines() or ["?"])[0], None
