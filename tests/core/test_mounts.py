"""mounts, root.readonly, devices and /dev links, maskedPaths, readonlyPaths: read
from the container's own /proc/self/mountinfo and from the files themselves."""
import os
import subprocess

import pytest

from .conftest import output_of, run_in


def mountinfo(text):
    """mountinfo lines -> [(mount point, per-mount options, optional fields, fstype, super options)]."""
    result = []
    for line in text.splitlines():
        left, _, right = line.partition(" - ")
        fields = left.split()
        fstype, _, super_opts = right.split()[:3]
        result.append((fields[4], set(fields[5].split(",")), fields[6:], fstype, set(super_opts.split(","))))
    return result


def container_mounts(runtime, bundle):
    return mountinfo(output_of(runtime, bundle, "cat", "/proc/self/mountinfo"))


def at(mounts, point):
    """The topmost mount at point."""
    matches = [m for m in mounts if m[0] == point]
    assert matches, f"nothing mounted at {point}"
    return matches[-1]


def add_mount(bundle, destination, mtype, source, options=()):
    bundle.config["mounts"].append({"destination": destination, "type": mtype, "source": source,
                                    "options": list(options)})
    bundle.save()


def test_tmpfs_with_size_mode_and_flags(runtime, bundle):
    add_mount(bundle, "/scratch", "tmpfs", "tmpfs", ["nosuid", "nodev", "noexec", "size=1m", "mode=710"])
    point, opts, _, fstype, super_opts = at(container_mounts(runtime, bundle), "/scratch")
    assert fstype == "tmpfs" and {"nosuid", "nodev", "noexec", "rw"} <= opts
    assert {"size=1024k", "mode=710"} <= super_opts
    assert output_of(runtime, bundle, "stat", "-c", "%a", "/scratch").strip() == "710"


@pytest.mark.parametrize("options, existing, mode", [
    ([], 0o712, "712"),              # the covered directory's mode, as runc
    ([], 0o3750, "3750"),            # setgid and sticky bits too
    (["mode=1777"], 0o712, "1777"),  # the config's own mode= wins (runc 1.1.5 chmods it away)
    ([], None, "1777"),              # nothing there: tmpfs's own default
])
def test_tmpfs_takes_the_mode_of_the_directory_it_covers(runtime, bundle, options, existing, mode):
    if existing is not None:
        os.mkdir(os.path.join(bundle.rootfs, "covered"))
        os.chmod(os.path.join(bundle.rootfs, "covered"), existing)
    add_mount(bundle, "/covered", "tmpfs", "tmpfs", options)
    out = output_of(runtime, bundle, "sh", "-c", "stat -c %a /covered; cat /proc/self/mountinfo")
    assert out.split("\n", 1)[0] == mode
    super_opts = at(mountinfo(out.split("\n", 1)[1]), "/covered")[4]
    assert (f"mode={mode}" in super_opts) == (mode != "1777")


def test_read_only_bind_mount(runtime, bundle, tmp_path):
    src = tmp_path / "data"
    src.mkdir()
    (src / "file").write_text("content\n")
    add_mount(bundle, "/data", "bind", str(src), ["rbind", "ro", "nosuid"])
    point, opts, _, _, _ = at(container_mounts(runtime, bundle), "/data")
    assert {"ro", "nosuid"} <= opts
    res = run_in(runtime, bundle, "sh", "-c", "cat /data/file; touch /data/new", check=False)
    assert res.stdout == "content\n" and "Read-only file system" in res.stderr
    assert sorted(os.listdir(src)) == ["file"]


def test_relative_bind_source_is_relative_to_the_bundle(runtime, bundle):
    os.mkdir(os.path.join(bundle.path, "shared"))
    with open(os.path.join(bundle.path, "shared", "f"), "w") as f:
        f.write("from the bundle\n")
    add_mount(bundle, "/shared", "bind", "shared", ["bind"])
    assert output_of(runtime, bundle, "cat", "/shared/f") == "from the bundle\n"


def test_file_bind_mount_creates_a_file_target(runtime, bundle, tmp_path):
    src = tmp_path / "hosts"
    src.write_text("127.0.0.1 here\n")
    add_mount(bundle, "/etc/hosts", "bind", str(src), ["rbind", "rprivate"])
    assert output_of(runtime, bundle, "cat", "/etc/hosts") == "127.0.0.1 here\n"


@pytest.fixture
def dir_with_submount(tmp_path):
    src = tmp_path / "tree"
    (src / "sub").mkdir(parents=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "oci-test-sub", str(src / "sub")], check=True)
    (src / "sub" / "marker").write_text("x")
    yield src
    subprocess.run(["umount", str(src / "sub")], check=True)


def test_bind_leaves_submounts_out_and_rbind_takes_them(runtime, bundle, dir_with_submount):
    add_mount(bundle, "/plain", "bind", str(dir_with_submount), ["bind"])
    add_mount(bundle, "/recursive", "bind", str(dir_with_submount), ["rbind"])
    out = output_of(runtime, bundle, "sh", "-c", "ls /plain/sub; echo --; ls /recursive/sub")
    assert out.split() == ["--", "marker"]


# The runtime-spec's Linux mount options, each on a tmpfs of its own (a new superblock,
# so the superblock flags show too): (options, shown, not shown), as /proc/self/mountinfo
# shows them, per-mount options and superblock options together. A clearing option
# comes after the one it clears. mand (MAY) is gone from Linux 5.15+; iversion, silent,
# loud and defaults show nowhere: those mounts only have to be there.
SPEC_MOUNT_OPTIONS = [
    (["ro"], {"ro"}, {"rw"}), (["ro", "rw"], {"rw"}, {"ro"}),
    (["nosuid"], {"nosuid"}, set()), (["nosuid", "suid"], set(), {"nosuid"}),
    (["nodev"], {"nodev"}, set()), (["nodev", "dev"], set(), {"nodev"}),
    (["noexec"], {"noexec"}, set()), (["noexec", "exec"], set(), {"noexec"}),
    (["noatime"], {"noatime"}, {"relatime"}), (["noatime", "atime"], {"relatime"}, {"noatime"}),
    (["relatime"], {"relatime"}, {"noatime"}), (["strictatime"], set(), {"relatime", "noatime"}),
    (["strictatime", "nostrictatime"], {"relatime"}, set()),
    (["norelatime"], {"relatime"}, set()),  # the kernel's default without strictatime/noatime
    (["nodiratime"], {"nodiratime"}, set()), (["nodiratime", "diratime"], set(), {"nodiratime"}),
    (["nosymfollow"], {"nosymfollow"}, set()), (["nosymfollow", "symfollow"], set(), {"nosymfollow"}),
    (["sync"], {"sync"}, set()), (["sync", "async"], set(), {"sync"}),
    (["dirsync"], {"dirsync"}, set()),
    (["lazytime"], {"lazytime"}, set()), (["lazytime", "nolazytime"], set(), {"lazytime"}),
    (["mand"], set(), set()), (["mand", "nomand"], set(), {"mand"}),
    (["iversion"], set(), set()), (["noiversion"], set(), set()),
    (["silent"], set(), set()), (["loud"], set(), set()), (["defaults"], set(), set()),
    (["private"], set(), set()), (["rprivate"], set(), set()), (["unbindable"], set(), set()),
    (["runbindable"], set(), set()), (["slave"], set(), set()), (["rslave"], set(), set()),
    (["shared"], set(), set()), (["rshared"], set(), set()),
]


def test_every_mount_option_of_the_spec_shows_in_mountinfo(runtime, bundle):
    for i, (options, _, _) in enumerate(SPEC_MOUNT_OPTIONS):
        add_mount(bundle, f"/opt{i}", "tmpfs", "tmpfs", options)
    mounts = container_mounts(runtime, bundle)
    for i, (options, shown, not_shown) in enumerate(SPEC_MOUNT_OPTIONS):
        point, opts, optional, fstype, super_opts = at(mounts, f"/opt{i}")
        assert fstype == "tmpfs"
        assert shown <= opts | super_opts and not not_shown & (opts | super_opts), (options, opts, super_opts)
        tags = {t.split(":")[0] for t in optional}
        if options[0] in ("shared", "rshared"):
            assert "shared" in tags, optional
        if options[0] in ("unbindable", "runbindable"):
            assert "unbindable" in tags, optional


@pytest.fixture
def locked_down_submount(tmp_path):
    """A host directory with a submount whose flags are all set: ro, nosuid, nodev,
    noexec, noatime, nodiratime, nosymfollow."""
    src = tmp_path / "locked"
    (src / "sub").mkdir(parents=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k,ro,nosuid,nodev,noexec,noatime,nodiratime,nosymfollow",
                    "oci-test-sub", str(src / "sub")], check=True)
    yield src
    subprocess.run(["umount", str(src / "sub")], check=True)


RECURSIVE_SETS = [("rro", "ro"), ("rnosuid", "nosuid"), ("rnodev", "nodev"), ("rnoexec", "noexec"),
                  ("rnoatime", "noatime"), ("rnodiratime", "nodiratime"), ("rnosymfollow", "nosymfollow")]
RECURSIVE_CLEARS = [("rrw", "ro"), ("rsuid", "nosuid"), ("rdev", "nodev"), ("rexec", "noexec"),
                    ("ratime", "noatime"), ("rdiratime", "nodiratime"), ("rsymfollow", "nosymfollow")]


def test_recursive_options_reach_every_mount_of_the_tree(runtime, bundle, dir_with_submount, locked_down_submount):
    """rro, rnosuid, ... (mount_setattr AT_RECURSIVE): on the bind and its submount; the
    plain ro of an rbind stays on the top mount only (as runc)."""
    for option, _ in RECURSIVE_SETS:
        add_mount(bundle, f"/set-{option}", "bind", str(dir_with_submount), ["rbind", option])
    for option, _ in RECURSIVE_CLEARS:
        add_mount(bundle, f"/clear-{option}", "bind", str(locked_down_submount), ["rbind", option])
    add_mount(bundle, "/plain-ro", "bind", str(dir_with_submount), ["rbind", "ro"])
    add_mount(bundle, "/rstrict", "bind", str(locked_down_submount), ["rbind", "rstrictatime"])
    add_mount(bundle, "/rrelatime", "bind", str(locked_down_submount), ["rbind", "rrelatime"])
    mounts = container_mounts(runtime, bundle)
    for option, flag in RECURSIVE_SETS:
        assert flag in at(mounts, f"/set-{option}")[1] and flag in at(mounts, f"/set-{option}/sub")[1], option
    for option, flag in RECURSIVE_CLEARS:
        assert flag not in at(mounts, f"/clear-{option}/sub")[1], option
    assert "ro" in at(mounts, "/plain-ro")[1] and "rw" in at(mounts, "/plain-ro/sub")[1]
    assert not {"noatime", "relatime"} & at(mounts, "/rstrict/sub")[1]
    assert "relatime" in at(mounts, "/rrelatime/sub")[1] and "noatime" not in at(mounts, "/rrelatime/sub")[1]


def test_mounts_are_made_in_order(runtime, bundle):
    add_mount(bundle, "/stack", "tmpfs", "tmpfs", ["size=1m"])
    add_mount(bundle, "/stack/inner", "tmpfs", "tmpfs", ["size=2m"])
    add_mount(bundle, "/stack", "tmpfs", "tmpfs", ["size=3m"])  # hides the first two
    mounts = container_mounts(runtime, bundle)
    points = [(m[0], sorted(o for o in m[4] if o.startswith("size="))) for m in mounts if m[0].startswith("/stack")]
    assert points == [("/stack", ["size=1024k"]), ("/stack/inner", ["size=2048k"]), ("/stack", ["size=3072k"])]
    assert output_of(runtime, bundle, "sh", "-c", "ls -a /stack").split() == [".", ".."]


@pytest.fixture
def shared_host_mount(tmp_path):
    """A shared mount on the host: a bind of it can be a slave (of its peer group)."""
    src = tmp_path / "prop"
    src.mkdir()
    subprocess.run(["mount", "--bind", str(src), str(src)], check=True)
    subprocess.run(["mount", "--make-shared", str(src)], check=True)
    yield src
    subprocess.run(["umount", str(src)], check=True)


@pytest.mark.parametrize("option, tags", [("rshared", {"shared", "master"}), ("rslave", {"master"}),
                                          ("rprivate", set())])
def test_mount_propagation(runtime, bundle, option, tags, shared_host_mount):
    """A bind of a shared host mount: a slave of it (rootfs rslave), made shared on top,
    or private."""
    add_mount(bundle, "/prop", "bind", str(shared_host_mount), ["rbind", option])
    _, _, optional, _, _ = at(container_mounts(runtime, bundle), "/prop")
    assert {f.split(":")[0] for f in optional if ":" in f} == tags, optional


def test_rootfs_propagation_shared(runtime, bundle):
    bundle.config["linux"]["rootfsPropagation"] = "shared"
    _, _, optional, _, _ = at(container_mounts(runtime, bundle), "/")
    assert any(f.startswith("shared:") for f in optional), optional


def test_rootfs_propagation_unbindable(runtime, bundle):
    """The rootfs is bound before "/" is made unbindable (a bind of an unbindable tree fails)."""
    bundle.config["linux"]["rootfsPropagation"] = "unbindable"
    _, _, optional, _, _ = at(container_mounts(runtime, bundle), "/")
    assert "unbindable" in optional, optional


def test_root_readonly(runtime, bundle):
    bundle.config["root"]["readonly"] = True
    _, opts, _, _, _ = at(container_mounts(runtime, bundle), "/")
    assert "ro" in opts
    res = run_in(runtime, bundle, "touch", "/newfile", check=False)
    assert res.returncode != 0 and "Read-only file system" in res.stderr
    bundle.config["root"]["readonly"] = False
    output_of(runtime, bundle, "touch", "/newfile")
    assert os.path.exists(os.path.join(bundle.rootfs, "newfile"))


def test_default_devices(runtime, bundle):
    out = output_of(runtime, bundle, "stat", "-c", "%n %F %t:%T %a %u:%g",
                    "/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty")
    rows = [line.split(" ", 1)[0] + " " + line.rsplit(" ", 3)[-3] + " " + " ".join(line.rsplit(" ", 2)[-2:])
            for line in out.splitlines()]
    assert rows == ["/dev/null 1:3 666 0:0", "/dev/zero 1:5 666 0:0", "/dev/full 1:7 666 0:0",
                    "/dev/random 1:8 666 0:0", "/dev/urandom 1:9 666 0:0", "/dev/tty 5:0 666 0:0"]
    assert all("character special file" in line for line in out.splitlines())


def test_linux_devices(runtime, bundle):
    bundle.config["linux"]["devices"] = [
        {"path": "/dev/my-null", "type": "c", "major": 1, "minor": 3, "fileMode": 0o620, "uid": 12, "gid": 34},
        {"path": "/dev/sub/loop-ish", "type": "b", "major": 7, "minor": 200, "fileMode": 0o600},
        {"path": "/dev/pipe", "type": "p", "fileMode": 0o640},
    ]
    out = output_of(runtime, bundle, "stat", "-c", "%n|%F|%t:%T|%a|%u:%g", "/dev/my-null", "/dev/sub/loop-ish",
                    "/dev/pipe")
    assert out.splitlines() == ["/dev/my-null|character special file|1:3|620|12:34",
                                "/dev/sub/loop-ish|block special file|7:c8|600|0:0",
                                "/dev/pipe|fifo|0:0|640|0:0"]


def test_dev_links_and_ptmx(runtime, bundle):
    out = output_of(runtime, bundle, "sh", "-c",
                    "for l in fd stdin stdout stderr ptmx; do echo $l $(readlink /dev/$l); done")
    assert out.splitlines() == ["fd /proc/self/fd", "stdin /proc/self/fd/0", "stdout /proc/self/fd/1",
                                "stderr /proc/self/fd/2", "ptmx pts/ptmx"]


def test_masked_paths(runtime, bundle):
    bundle.config["linux"]["maskedPaths"] = ["/proc/keys", "/sys/firmware", "/proc/does-not-exist"]
    out = output_of(runtime, bundle, "sh", "-c", "wc -c < /proc/keys; ls -A /sys/firmware | wc -l")
    assert out.split() == ["0", "0"]
    mounts = container_mounts(runtime, bundle)
    assert at(mounts, "/sys/firmware")[3] == "tmpfs" and "ro" in at(mounts, "/sys/firmware")[1]
    assert at(mounts, "/proc/keys")[3] == "tmpfs"  # the container's /dev/null bound over it


def test_readonly_paths(runtime, bundle):
    bundle.config["linux"]["readonlyPaths"] = ["/proc/sys", "/proc/nothing-here"]
    res = run_in(runtime, bundle, "sh", "-c", "echo other > /proc/sys/kernel/hostname", check=False)
    assert res.returncode != 0 and "Read-only file system" in res.stderr
    assert "ro" in at(container_mounts(runtime, bundle), "/proc/sys")[1]
