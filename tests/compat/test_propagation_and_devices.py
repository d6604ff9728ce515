"""rootfsPropagation's recursive forms and device access strings, as runc accepts them."""
import json
import os

import pytest
from support import leftovers, new_id, start_container

from runtime_cgroups.conftest import V1, read_cg


def propagation_tags(runtime, bundle, propagation):
    """{mount point: its propagation tags} as the container's own mountinfo shows them."""
    bundle.config["linux"]["rootfsPropagation"] = propagation
    bundle.set_args("cat", "/proc/self/mountinfo")
    out = runtime("run", "--bundle", bundle.path, new_id()).stdout
    tags = {}
    for line in out.splitlines():
        fields = line.split(" - ")[0].split()
        tags[fields[4]] = set(fields[6:]) or {"private"}
    return tags


@pytest.mark.parametrize("propagation, every_mount", [
    ("rshared", lambda tags: any(t.startswith("shared:") for t in tags)),
    ("runbindable", lambda tags: tags == {"unbindable"}),
    ("rprivate", lambda tags: tags == {"private"}),
    ("rslave", lambda tags: not any(t.startswith("shared:") for t in tags)),   # the host's tree here is private
])
def test_recursive_rootfs_propagation_reaches_every_mount(runtime, bundle, propagation, every_mount):
    tags = propagation_tags(runtime, bundle, propagation)
    assert {"/", "/proc", "/dev", "/sys"} <= set(tags)
    assert all(every_mount(t) for t in tags.values()), tags


def test_unbindable_is_the_root_mount_only(runtime, bundle):
    tags = propagation_tags(runtime, bundle, "unbindable")
    assert tags["/"] == {"unbindable"} and tags["/proc"] == {"private"}


def test_nonsense_propagation_is_refused(runtime, bundle):
    bundle.config["linux"]["rootfsPropagation"] = "recursive"
    bundle.save()
    res = runtime("run", "--bundle", bundle.path, new_id(), check=False)
    assert res.returncode != 0 and res.stderr.count("\n") == 1 and "rootfsPropagation" in res.stderr
    assert leftovers(runtime, bundle) == {}


@pytest.mark.skipif(not V1, reason="v1 devices.list shows the rules (v2's are an eBPF program)")
def test_device_access_letters_as_runc_takes_them(runtime, bundle, tmp_path):
    """runc keeps the r, w, m of an access string and drops other letters ("rwa" -> rw);
    a string with none of them is refused (runc fails later, on the kernel's answer)."""
    bundle.config["linux"]["resources"]["devices"] = [
        {"allow": False, "access": "rwm"}, {"allow": True, "type": "c", "major": 1, "minor": 4, "access": "rwa"}]
    c = start_container(runtime, bundle, "sleep", "100")
    try:
        assert "c 1:4 rw" in read_cg(c.pid, "devices", "devices.list").splitlines()
        rules = tmp_path / "rules.json"
        rules.write_text(json.dumps({"devices": [{"allow": True, "type": "c", "major": 1, "minor": 6,
                                                  "access": "mra"}]}))
        runtime("update", c.id, "--resources", str(rules))
        assert "c 1:6 rm" in read_cg(c.pid, "devices", "devices.list").splitlines()
        rules.write_text(json.dumps({"devices": [{"allow": True, "type": "c", "major": 1, "minor": 6,
                                                  "access": "xyz"}]}))
        res = runtime("update", c.id, "--resources", str(rules), check=False)
        assert res.returncode != 0 and "access: 'xyz' has none of r, w, m" in res.stderr
    finally:
        runtime("delete", "--force", c.id)
    assert not os.listdir(runtime.root)
