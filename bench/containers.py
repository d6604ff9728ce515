"""Containers the bench creates: unique ids and bundles, a registry of every container that
may exist (so Ctrl-C or a runtime failure still deletes it), and create/start/stop helpers."""
import itertools
import os

import bundle
import spawn


class Registry:
    """Every container that may exist, with its init pid once known."""

    def __init__(self):
        self._live = {}

    def add(self, rt, cid):
        self._live[(rt.name, cid)] = (rt, None)

    def set_pid(self, rt, cid, pid):
        self._live[(rt.name, cid)] = (rt, pid)

    def discard(self, rt, cid):
        self._live.pop((rt.name, cid), None)

    def force_delete_all(self):
        """`delete --force` everything left (errors ignored: it may never have existed) and
        reap the inits we know of."""
        for (_, cid), (rt, pid) in list(self._live.items()):
            pidfd = spawn.watch_pid(pid) if pid else None
            rt.call_unchecked("delete", "--force", cid)
            if pid:
                spawn.wait_exit(pidfd, pid, timeout_s=5)
            self.discard(rt, cid)


class Factory:
    """Makes container ids and their bundles; the cgroup of each is <parent>/<id>."""

    def __init__(self, bundles_dir, configs, cgroup_parent, token):
        self.bundles_dir = bundles_dir
        self.configs = configs
        self.cgroup_parent = cgroup_parent
        self.token = token
        self._serial = itertools.count()

    def new(self, rt, kind):
        """(id, bundle dir) for a container of rt running configs[kind]."""
        cid = f"ob{self.token}-{rt.name[:4]}-{next(self._serial)}"
        path = bundle.write_bundle(self.bundles_dir, cid, self.configs[kind], f"{self.cgroup_parent}/{cid}")
        return cid, path


def run_once(rt, registry, cid, path):
    """`run` a prepared container to completion; returns the Call."""
    registry.add(rt, cid)
    call = rt.call("run", "--bundle", path, cid)
    registry.discard(rt, cid)
    return call


def create_started(rt, registry, cid, path):
    """create + start a (long-running) container; returns its init pid."""
    pid = create(rt, registry, cid, path)
    rt.call("start", cid)
    return pid


def create(rt, registry, cid, path):
    """create a container; returns its init pid (read from --pid-file)."""
    pid_file = os.path.join(path, "init.pid")
    registry.add(rt, cid)
    rt.call("create", "--bundle", path, "--pid-file", pid_file, cid)
    try:
        with open(pid_file) as f:
            pid = int(f.read().strip())
    except (OSError, ValueError) as exc:
        raise spawn.CallFailed(f"create {cid}: no usable --pid-file: {exc}") from None
    registry.set_pid(rt, cid, pid)
    return pid


def stop(rt, registry, cid, pid):
    """kill KILL, wait for the init to exit (pidfd) and reap it, then delete."""
    pidfd = spawn.watch_pid(pid)
    rt.call("kill", cid, "KILL")
    if not spawn.wait_exit(pidfd, pid, rt.timeout_s):
        raise spawn.CallFailed(f"{cid}: init {pid} still alive {rt.timeout_s:g} s after kill")
    rt.call("delete", cid)
    registry.discard(rt, cid)
