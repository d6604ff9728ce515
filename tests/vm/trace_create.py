"""What cgroup set-up costs one `ociruntime create`: the "cgroup" phase of `--trace` (imports, open_manager,
create() with Docker's linux.resources + a memory/cpu/pids limit), next to the whole call, in ms. (The
processes join their cgroups from C, inside the "fork"/"clone" phases: csrc/spawn.c.)

Run as root: /opt/ociruntime/bin/python tests/vm/trace_create.py [ROUNDS]   (run_v2.sh runs it in the VM)."""

import ctypes
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

REPO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
sys.path.insert(0, REPO)
sys.path.insert(0, os.path.join(REPO, "scripts"))
sys.path.insert(0, os.path.join(REPO, "tests"))

from support import SAMPLES, ociruntime_command, reap_orphans  # noqa: E402
from make_busybox_bundle import make_bundle  # noqa: E402

SAMPLE = os.path.join(SAMPLES, "config.json")
PR_SET_CHILD_SUBREAPER = 36


def docker_resources():
    with open(SAMPLE) as f:
        resources = json.load(f)["linux"]["resources"]
    resources.update(memory={"limit": 256 << 20, "swap": 512 << 20}, pids={"limit": 100},
                     cpu={"shares": 512, "quota": 50000, "period": 100000})
    return resources


def traced_creates(rounds):
    """The --trace records of `rounds` creates (each container deleted before the next)."""
    work = tempfile.mkdtemp(prefix="oci-trace-")
    try:
        bundle, trace, root = (os.path.join(work, name) for name in ("bundle", "trace.json", "root"))
        os.mkdir(bundle)
        config = make_bundle(bundle, ["sleep", "100"])
        config["linux"]["resources"] = docker_resources()
        cmd = ociruntime_command() + ["--root", root]
        for i in range(rounds):
            config["linux"]["cgroupsPath"] = f"oci-test-trace-{os.getpid()}-{i}"
            with open(os.path.join(bundle, "config.json"), "w") as f:
                json.dump(config, f)
            subprocess.run(cmd + ["--trace", trace, "create", "--bundle", bundle, f"t{i}"], check=True,
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
            subprocess.run(cmd + ["delete", "--force", f"t{i}"], check=True)
            reap_orphans()
        with open(trace) as f:
            return [json.loads(line) for line in f]
    finally:
        shutil.rmtree(work)


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    from ociruntime.cgroups.hostinfo import UNIFIED, read_host_layout
    version = 2 if read_host_layout().mode == UNIFIED else 1
    records = traced_creates(rounds)
    cgroup = [r["phases_ms"]["cgroup"] for r in records]
    total = [r["total_ms"] for r in records]
    share = 100 * statistics.median(cgroup) / statistics.median(total)
    print(f"cgroup v{version}: `create` (--trace, {rounds} rounds): cgroup phase median {statistics.median(cgroup):.2f} ms "
          f"(min {min(cgroup):.2f}, first {cgroup[0]:.2f}), "
          f"whole create median {statistics.median(total):.1f} ms -> cgroup share {share:.0f}%")


if __name__ == "__main__":
    main()
