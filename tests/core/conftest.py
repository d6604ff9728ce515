"""Helpers for the core runtime tests: run a command in a busybox container and read
what it printed, and find anything a command may have left behind (state dirs,
mounts, cgroup dirs, processes)."""
import os
import uuid

import pytest
from conftest import cgroup_mountpoints


def new_id():
    return "c-" + uuid.uuid4().hex[:10]


def run_in(runtime, bundle, *args, check=True):
    """`run` args in the bundle's container (foreground); the finished process."""
    bundle.set_args(*args)
    return runtime("run", "--bundle", bundle.path, new_id(), check=check)


def output_of(runtime, bundle, *args):
    return run_in(runtime, bundle, *args).stdout


def status_fields(text):
    """/proc/PID/status text -> {field: value}."""
    return {k: v.strip() for k, _, v in (line.partition(":") for line in text.splitlines())}


def own_cgroup_dirs(relative):
    """`relative` beneath this process's own cgroup, in every hierarchy it belongs to."""
    points = cgroup_mountpoints()
    dirs = []
    with open("/proc/self/cgroup") as f:
        for line in f:
            _, ctrls, path = line.rstrip("\n").split(":", 2)
            if ctrls in points:
                dirs.append(os.path.join(points[ctrls] + path, relative))
    return dirs


def cgroup_path(bundle):
    return bundle.config["linux"]["cgroupsPath"]


@pytest.fixture(autouse=True)
def _remove_test_cgroup_parents(bundle):
    """The bundle's cgroupsPath is PARENT/ctr: the runtime must remove ctr (the runtime
    fixture has deleted every container by now); PARENT is the test's to remove, as with runc."""
    yield
    leaked = [d for d in own_cgroup_dirs(cgroup_path(bundle)) if os.path.exists(d)]
    for d in leaked + own_cgroup_dirs(cgroup_path(bundle).split("/")[0]):
        try:
            os.rmdir(d)
        except OSError:
            pass
    assert not leaked, f"cgroups left behind: {leaked}"


def mounts_mentioning(text):
    with open("/proc/self/mountinfo") as f:
        return [line for line in f if text in line]


def processes_in(path):
    """Pids whose cwd or root is at or below path."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        for link in ("cwd", "root"):
            try:
                target = os.readlink(f"/proc/{pid}/{link}")
            except OSError:
                continue
            if target == path or target.startswith(path + "/"):
                found.append(int(pid))
                break
    return found


def leftovers(runtime, bundle):
    """Everything a failed command must not leave behind, by kind (empty: clean)."""
    found = {}
    if os.path.isdir(runtime.root) and os.listdir(runtime.root):
        found["state dirs"] = os.listdir(runtime.root)
    if mounts_mentioning(bundle.path):
        found["mounts"] = mounts_mentioning(bundle.path)
    cgroups = [d for d in own_cgroup_dirs(cgroup_path(bundle)) if os.path.exists(d)]
    if cgroups:
        found["cgroups"] = cgroups
    procs = processes_in(bundle.path)
    if procs:
        found["processes"] = procs
    return found


def detached(runtime, *args):
    """Run an ociruntime command whose container will inherit its stdio: no pipe is
    handed over (a pipe held by a container blocks whoever reads it); (rc, stderr)."""
    import subprocess
    import tempfile
    with tempfile.TemporaryFile("w+") as err:
        proc = subprocess.run(runtime.cmd + ["--root", runtime.root, "--log", runtime.log, "--log-format", "json",
                                             *args], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err)
        err.seek(0)
        return proc.returncode, err.read()
