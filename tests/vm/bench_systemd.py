"""What the systemd cgroup driver costs, next to the cgroupfs v2 driver:
- the library: open_manager + create + enter (StartTransientUnit with a process, the job
  waited for, the files written) in one warm process, wall and this process's CPU time
  (the Python work; the rest of the wall time is systemd's and the bus's), and the import
  of the driver's modules in a fresh interpreter;
- the CLI: `create` and `delete` of ociruntime and runc with either driver (ratios).

Run as root on systemd + pure cgroup v2: python tests/vm/bench_systemd.py [ROUNDS]
(run_systemd.sh runs it in the VM)."""

import ctypes
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
sys.path.insert(0, os.path.join(REPO, "scripts"))
sys.path.insert(0, os.path.join(REPO, "tests"))

from support import ociruntime_command, reap_orphans  # noqa: E402
from make_busybox_bundle import make_bundle  # noqa: E402

PR_SET_CHILD_SUBREAPER = 36
RESOURCES = {"memory": {"limit": 256 << 20}, "pids": {"limit": 100},
             "cpu": {"shares": 512, "quota": 50000, "period": 100000}}


def timed(cmd):
    """(wall ms, CPU ms of the process) of one command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    wall = (time.perf_counter() - start) * 1000
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1000


ROWS = (("ociruntime", False), ("ociruntime", True), ("runc", False), ("runc", True))


def measure(work, rounds):
    """Per row of ROWS, the median (create wall, create CPU, delete wall[, cgroup phases]) over `rounds`
    containers, the rows interleaved round by round (the VM's speed drifts with the host's load).
    ociruntime's rows add the "cgroup" + "cgroup enter" phases of --trace (systemd's unit start is
    in "cgroup enter": StartTransientUnit with stage 1)."""
    bundle = os.path.join(work, "bundle")
    os.makedirs(bundle, exist_ok=True)
    config = make_bundle(bundle, ["sleep", "100"])
    config["linux"]["resources"] = RESOURCES
    commands = {"ociruntime": ociruntime_command(), "runc": [shutil.which("runc") or "runc"]}
    samples = {row: [] for row in ROWS}
    for i in range(rounds + 1):  # the first round warms caches and is dropped
        for name, systemd in ROWS:
            cid = f"b{os.getpid()}-{i}-{name}-{int(systemd)}"
            trace = os.path.join(work, f"trace-{systemd}.json") if name == "ociruntime" else None
            cmd = commands[name] + ["--root", os.path.join(work, "root")] + (["--systemd-cgroup"] if systemd else [])
            config["linux"]["cgroupsPath"] = f"system.slice:ocibench:{cid}" if systemd else f"/ocibench-{cid}"
            with open(os.path.join(bundle, "config.json"), "w") as f:
                json.dump(config, f)
            create = timed(cmd + (["--trace", trace] if trace else []) + ["create", "--bundle", bundle, cid])
            delete = timed(cmd + ["delete", "--force", cid])
            reap_orphans()
            if i:
                samples[(name, systemd)].append((create[0], create[1], delete[0]))
    rows = {}
    for (name, systemd), values in samples.items():
        rows[(name, systemd)] = [statistics.median(column) for column in zip(*values)]
        if name == "ociruntime":
            with open(os.path.join(work, f"trace-{systemd}.json")) as f:
                records = [json.loads(line) for line in f][1:]
            rows[(name, systemd)].append(statistics.median(
                r["phases_ms"]["cgroup"] + r["phases_ms"].get("cgroup enter", 0) for r in records))
    return rows


def library(rounds):
    """Median (wall ms, CPU ms) of open_manager+create+enter(a sleeping child) per driver, the
    drivers interleaved round by round; the first round (imports, caches) is dropped."""
    sys.path.insert(0, REPO)
    from ociruntime.cgroups import open_manager, resources_for_spec
    resources = resources_for_spec({"resources": RESOURCES})
    samples = {False: [], True: []}
    for i in range(rounds + 1):
        for systemd in (False, True):
            child = subprocess.Popen(["sleep", "100"])
            name = f"ocibench-lib-{os.getpid()}-{i}"
            wall, cpu = time.perf_counter(), time.process_time()
            mgr = open_manager(f"system.slice:ocibench:{name}" if systemd else f"/{name}", name, systemd=systemd)
            mgr.create(resources)
            mgr.enter(child.pid)
            if i:
                samples[systemd].append(((time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000))
            child.kill()
            child.wait()
            mgr.destroy()
    return {systemd: [statistics.median(column) for column in zip(*values)] for systemd, values in samples.items()}


def import_ms():
    """Importing the systemd driver's modules in a fresh interpreter, over the v2 driver's."""
    code = ("import time; t = time.perf_counter(); import {}; print((time.perf_counter() - t) * 1000)")
    cost = {}
    for name, module in (("v2", "ociruntime.cgroups.v2.manager"), ("systemd", "ociruntime.cgroups.systemd.manager")):
        runs = [float(subprocess.run([sys.executable, "-c", code.format(module)], cwd=REPO, check=True,
                                     capture_output=True, text=True).stdout) for _ in range(5)]
        cost[name] = statistics.median(runs)
    return cost


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    lib = library(rounds)
    imports = import_ms()
    print(f"library, median of {rounds} (ms): open_manager+create+enter: cgroupfs v2 {lib[False][0]:.1f} wall "
          f"{lib[False][1]:.1f} CPU; systemd {lib[True][0]:.1f} wall {lib[True][1]:.1f} CPU (Python work added "
          f"{lib[True][1] - lib[False][1]:.1f} CPU; systemd's job and the bus {lib[True][0] - lib[True][1]:.1f} wall); "
          f"import: v2 manager {imports['v2']:.1f}, systemd manager {imports['systemd']:.1f}")
    work = tempfile.mkdtemp(prefix="oci-bench-sd-")
    try:
        rows = measure(work, rounds)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"CLI create/delete, median of {rounds} (ms; CPU = the runtime process's own):")
    for (name, systemd), row in rows.items():
        phases = f", cgroup phases {row[3]:.1f}" if len(row) > 3 else ""
        print(f"  {name:<10} {'systemd ' if systemd else 'cgroupfs'}: create {row[0]:7.1f} wall {row[1]:7.1f} CPU"
              f"{phases}, delete {row[2]:7.1f} wall")
    ours, plain = rows[("ociruntime", True)], rows[("ociruntime", False)]
    print(f"  create: ociruntime/runc with systemd {ours[0] / rows[('runc', True)][0]:.2f}x, "
          f"with cgroupfs {plain[0] / rows[('runc', False)][0]:.2f}x; the systemd driver's cgroup phases "
          f"{ours[3] - plain[3]:+.1f} ms over cgroupfs v2's")


if __name__ == "__main__":
    main()
