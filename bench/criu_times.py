"""Checkpoint and restore wall times, ociruntime next to runc, for a small container
(a shell loop) and one holding 256 MiB of anonymous memory; run inside the pure v2 VM
where CRIU works (CRIU_BENCH=1 tests/vm/run_criu.sh). Prints one line per case with the
median of ROUNDS and the ratio to runc's: perf is reported, never asserted.

A second ociruntime line passes --empty-ns network, which runc always sets ("runc doesn't
manage network devices"): CRIU then neither saves nor restores the container's own network
namespace (ip addr/route/rule, iptables: external tools, ~0.8 s each way under TCG), and
the restored container's lo is down without addresses, as runc leaves it. That line is
the like-for-like comparison; the first is ociruntime's default (lo comes back up).

usage: criu_times.py [ROUNDS]   (env OCIRUNTIME: the ociruntime command, default on PATH)"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "scripts"))

CASES = {"small": ["sh", "-c", "while true; do sleep 0.2; done"],
         # dd's 256 MiB buffer is filled (touched) and held while the pipe stays full
         "256MiB": ["sh", "-c", "dd if=/dev/zero bs=256M count=1 2>/dev/null | sleep 100000"]}


def timed(cmd, work):
    """Wall time of cmd, with stdio /dev/null, which the container inherits: runc's
    dump cannot take a container whose stdio is a file on a host mount (it does not
    name it external), and a pipe would be held open by the container."""
    start = time.monotonic()
    rc = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
    elapsed = time.monotonic() - start
    if rc:
        raise SystemExit(f"{' '.join(cmd)}: exit {rc} (CRIU's log is in the image dir)")
    return elapsed


def rss_mib(root_cmd, cid):
    pid = json.loads(subprocess.run(root_cmd + ["state", cid], capture_output=True, text=True).stdout)["pid"]
    total = 0
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                if os.readlink(f"/proc/{p}/ns/pid") == os.readlink(f"/proc/{pid}/ns/pid"):
                    with open(f"/proc/{p}/status") as f:
                        total += next(int(line.split()[1]) for line in f if line.startswith("VmRSS"))
            except (OSError, StopIteration):
                pass
    return total >> 10


def one_round(runtime, bundle, work, case, extra=()):
    root_cmd = [runtime, "--root", os.path.join(work, "root")]
    cid = f"b{os.getpid()}"
    img = tempfile.mkdtemp(dir=work)
    timed(root_cmd + ["run", "-d", "--bundle", bundle, cid], work)
    if case == "256MiB":
        deadline = time.monotonic() + 120
        while rss_mib(root_cmd, cid) < 256 and time.monotonic() < deadline:
            time.sleep(0.5)
    else:
        time.sleep(1)
    t_ckpt = timed(root_cmd + ["checkpoint", *extra, "--image-path", img, cid], work)
    t_rst = timed(root_cmd + ["restore", "-d", *extra, "--image-path", img, "--bundle", bundle, cid], work)
    subprocess.run(root_cmd + ["delete", "-f", cid], check=True)
    shutil.rmtree(img)
    return t_ckpt, t_rst


def main():
    from make_busybox_bundle import make_bundle
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    ours = os.environ.get("OCIRUNTIME") or shutil.which("ociruntime")
    runc = shutil.which("runc")
    work = tempfile.mkdtemp(prefix="criu-bench-", dir="/var/tmp")
    try:
        for case, args in CASES.items():
            bundle = os.path.join(work, f"bundle-{case}")
            os.makedirs(bundle)
            make_bundle(bundle, args)
            results = {}
            for name, exe, extra in (("runc", runc, ()), ("ociruntime", ours, ()),
                                     ("ociruntime --empty-ns network", ours, ("--empty-ns", "network"))):
                times = [one_round(exe, bundle, work, case, extra) for _ in range(rounds)]
                results[name] = (sorted(t[0] for t in times)[rounds // 2], sorted(t[1] for t in times)[rounds // 2])
            rc, rr = results.pop("runc")
            for name, (oc, orr) in results.items():
                print(f"{case:7} checkpoint: runc {rc:6.2f}s {name} {oc:6.2f}s ({oc / rc:.2f}x)   "
                      f"restore: runc {rr:6.2f}s {name} {orr:6.2f}s ({orr / rr:.2f}x)", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
