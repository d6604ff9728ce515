"""Everything one bench run owns on the host — temp dir, runtime --root dirs, the cgroup
parent directory, crun's mount namespace, containers — and removing all of it, also after
Ctrl-C or a runtime failure."""
import os
import secrets
import shutil
import signal
import sys
import tempfile

import cgroupfs
import containers
import spawn

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Session:
    def __init__(self):
        self.workdir = tempfile.mkdtemp(prefix="oci-bench-")
        self.token = secrets.token_hex(3)
        self.cgroup_parent = f"oci-bench-{self.token}"
        self.hierarchies = cgroupfs.hierarchies()
        self.registry = containers.Registry()
        self.namespace_fds = []
        self.spawner = None

    def path(self, *parts):
        return os.path.join(self.workdir, *parts)

    def runtime_root(self, name):
        root = self.path(f"root-{name}")
        os.mkdir(root)
        return root

    def cleanup(self):
        """Remove everything, whatever state the run stopped in; returns what was left."""
        for signum in STOP_SIGNALS:
            signal.signal(signum, _still_cleaning)
        if self.spawner:
            self.spawner.close()
        spawn.kill_inflight()
        self.registry.force_delete_all()
        spawn.reap_all()
        left = []
        for top in cgroupfs.bench_dirs(self.hierarchies, self.cgroup_parent):
            left += cgroupfs.remove_tree(top)
        spawn.reap_all(grace_s=0.5)
        for fd in self.namespace_fds:
            os.close(fd)
        shutil.rmtree(self.workdir, onerror=lambda _f, path, exc: left.append(f"{path}: {exc[1]}"))
        return left


def _still_cleaning(signum, _frame):
    print(f"bench: got signal {signum}; still cleaning up, please wait", file=sys.stderr)


def stop_on_signals():
    """SIGTERM/SIGHUP end the run like Ctrl-C does, so the cleanup runs."""
    def interrupt(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")
    for signum in STOP_SIGNALS[1:]:
        signal.signal(signum, interrupt)
