"""Rootless: a non-root user runs `ociruntime spec --rootless`'s config on a bundle
it owns, with a --root of its own; uid 0 inside is that user outside, and no cgroup
is made (the user may not write the cgroup tree)."""
import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile

import pytest

from support import ociruntime_command, reap_orphans

USER = "ocitest"
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope="session")
def user():
    """The unprivileged user (made once if this host has none: .ci/run runs as root)."""
    try:
        return pwd.getpwnam(USER)
    except KeyError:
        subprocess.run(["useradd", "--create-home", "--user-group", USER], check=True, capture_output=True)
        return pwd.getpwnam(USER)


class RootlessBundle:
    def __init__(self, top, user):
        self.top = top
        self.path = os.path.join(top, "bundle")
        self.root = os.path.join(top, "state")
        self.user = user

    def as_user(self, *args, cwd=None, check=True):
        """Run ARGS as the user (stdio in files: a created init keeps them)."""
        env = {"PATH": os.environ["PATH"], "HOME": self.user.pw_dir, "USER": USER}
        with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
            proc = subprocess.run(list(args), cwd=cwd or self.path, env=env, user=self.user.pw_uid,
                                  group=self.user.pw_gid, extra_groups=[], stdout=out, stderr=err,
                                  stdin=subprocess.DEVNULL, timeout=60)
            out.seek(0)
            err.seek(0)
            proc.stdout, proc.stderr = out.read(), err.read()
        if check:
            assert proc.returncode == 0, proc.stderr
        return proc

    def ociruntime(self, *args, check=True):
        return self.as_user(*ociruntime_command(), "--root", self.root, *args, check=check)

    def edit_config(self, edit):
        path = os.path.join(self.path, "config.json")
        with open(path) as f:
            config = json.load(f)
        edit(config)
        with open(path, "w") as f:
            json.dump(config, f)
        os.chown(path, self.user.pw_uid, self.user.pw_gid)


@pytest.fixture
def rootless(user):
    """A busybox bundle owned by the user, its config from `spec --rootless` run as the user."""
    sys.path.insert(0, os.path.join(REPO, "scripts"))
    from make_busybox_bundle import make_bundle
    top = tempfile.mkdtemp(prefix="oci-test-rootless-", dir="/tmp")
    os.chmod(top, 0o755)
    b = RootlessBundle(top, user)
    make_bundle(b.path)
    os.unlink(os.path.join(b.path, "config.json"))
    for d, dirs, files in os.walk(top):
        for name in [d] + [os.path.join(d, n) for n in dirs + files]:
            os.lchown(name, user.pw_uid, user.pw_gid)
    b.ociruntime("spec", "--rootless")
    yield b
    for cid in os.listdir(b.root) if os.path.isdir(b.root) else ():
        b.ociruntime("delete", "--force", cid, check=False)
    reap_orphans()
    shutil.rmtree(top)


def test_rootless_container_maps_root_to_the_user(rootless, user):
    def edit(config):
        config["process"]["terminal"] = False
        config["root"]["readonly"] = False
        config["process"]["args"] = ["sh", "-c", "cat /proc/self/uid_map /proc/self/gid_map; id -u; "
                                     "touch /root/made-inside; stat -c %u /bin/busybox"]
    rootless.edit_config(edit)
    proc = rootless.ociruntime("run", "r1")
    uid_map, gid_map, uid, busybox_owner = proc.stdout.splitlines()
    assert uid_map.split() == ["0", str(user.pw_uid), "1"] and gid_map.split() == ["0", str(user.pw_gid), "1"]
    assert (uid, busybox_owner) == ("0", "0")  # the user's files are root's inside
    st = os.stat(os.path.join(rootless.path, "rootfs", "root", "made-inside"))
    assert (st.st_uid, st.st_gid) == (user.pw_uid, user.pw_gid)
    assert os.listdir(rootless.root) == []


def test_rootless_exec_and_state_without_a_cgroup(rootless, user):
    def edit(config):
        config["process"]["terminal"] = False
        config["process"]["args"] = ["sleep", "1000"]
    rootless.edit_config(edit)
    rootless.ociruntime("create", "--pid-file", "init.pid", "r2")
    with open(os.path.join(rootless.path, "init.pid")) as f:
        pid = int(f.read())
    with open(f"/proc/{pid}/status") as f:
        fields = dict(line.split(":", 1) for line in f)
    assert fields["Uid"].split() == [str(user.pw_uid)] * 4
    with open(f"/proc/{pid}/cgroup") as f, open("/proc/self/cgroup") as g:
        assert f.read() == g.read()  # no cgroup of its own: where its creator was
    rootless.ociruntime("start", "r2")
    proc = rootless.ociruntime("exec", "r2", "sh", "-c", "id -u; stat -L -c %i /proc/self/ns/user")
    assert proc.stdout.split() == ["0", str(os.stat(f"/proc/{pid}/ns/user").st_ino)]
    assert json.loads(rootless.ociruntime("state", "r2").stdout)["status"] == "running"
    rootless.ociruntime("delete", "--force", "r2")
    assert os.listdir(rootless.root) == []


def test_rootless_limits_without_cgroup_access_fail_clearly(rootless):
    def edit(config):
        config["process"]["terminal"] = False
        config["linux"]["resources"] = {"pids": {"limit": 10}}
    rootless.edit_config(edit)
    proc = rootless.ociruntime("run", "r3", check=False)
    assert proc.returncode != 0 and len(proc.stderr.strip().splitlines()) == 1
    assert "Permission denied" in proc.stderr
    assert os.listdir(rootless.root) == []
