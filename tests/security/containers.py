"""Busybox containers for the exec, security and user-namespace tests: started
detached (their init must not hold the test's pipes), looked at from the host."""
import os
import shutil
import subprocess
import tempfile
import uuid

import pytest


def new_id():
    return "x-" + uuid.uuid4().hex[:10]


def detached(runtime, *args):
    """`ociruntime ARGS` whose leftover processes may outlive it: stdio are files,
    not pipes the test would wait on. Returns (returncode, stdout, stderr)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        rc = subprocess.run(runtime.cmd + ["--root", runtime.root, "--log", runtime.log, "--log-format", "json",
                                           *args], stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                            timeout=60).returncode
        out.seek(0)
        err.seek(0)
        return rc, out.read(), err.read()


class Container:
    def __init__(self, cid, pid):
        self.id = cid
        self.pid = pid


def start_container(runtime, bundle, *args, create_only=False):
    """A container running ARGS (`run -d`), or only created; its id and init pid."""
    bundle.set_args(*args)
    cid = new_id()
    pid_file = os.path.join(bundle.path, "init.pid")
    rc, _, err = detached(runtime, "create" if create_only else "run", *([] if create_only else ["--detach"]),
                          "--bundle", bundle.path, "--pid-file", pid_file, cid)
    assert rc == 0, err
    with open(pid_file) as f:
        return Container(cid, int(f.read()))


@pytest.fixture
def container(runtime, bundle):
    """A running busybox container whose init sleeps; deleted afterwards."""
    c = start_container(runtime, bundle, "sleep", "1000")
    yield c
    runtime("delete", "--force", c.id, check=False)


@pytest.fixture
def open_bundle(bundle):
    """The bundle, moved where any uid may traverse: a user namespace's root is not
    the host's, and pytest's tmp dirs are 0700."""
    from conftest import Bundle
    top = tempfile.mkdtemp(prefix="oci-test-", dir="/tmp")
    os.chmod(top, 0o711)
    path = os.path.join(top, "bundle")
    shutil.copytree(bundle.path, path, symlinks=True)
    yield Bundle(path, bundle.config)
    shutil.rmtree(top)


def exec_in(runtime, *args):
    """`exec ARGS` in the foreground with stdin /dev/null; the finished command."""
    return runtime("exec", *args, check=False, stdin=subprocess.DEVNULL)


def status_fields(text):
    return {k: v.strip() for k, _, v in (line.partition(":") for line in text.splitlines())}


def pids_sharing_pid_ns(pid):
    """Host pids of every process in pid's pid namespace (pid included)."""
    ns = os.stat(f"/proc/{pid}/ns/pid").st_ino
    found = set()
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            if os.stat(f"/proc/{entry}/ns/pid").st_ino == ns:
                found.add(int(entry))
        except OSError:
            continue
    return found
