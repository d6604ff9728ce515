"""What bridge networking adds to ociruntime's `create` and `delete`.

    /opt/ociruntime/bin/python bench/network.py [--rounds N] [--ociruntime PATH] [--out DIR]

As root. The bench re-runs itself in a network namespace of its own (`unshare --net`), so
the bridge, veths and nftables table it makes live and die there, never on the host. A
holder container keeps the network's bridge and table up (steady state, as on a busy host);
then N rounds alternate a plain container and one on the network, each created and deleted
with `--trace`. Prints medians (ms) of each call's total and of create's `network` phase,
and writes them to DIR/network.json. runc and crun have no networking of their own: this is
ociruntime against itself.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
INSIDE = "OCIRUNTIME_BENCH_NETNS"
SUBNET, GATEWAY = "177.22.16.0/24", "177.22.16.1"


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--ociruntime", default=shutil.which("ociruntime") or "ociruntime")
    parser.add_argument("--out", default="bench-results")
    return parser.parse_args(argv)


class Bench:
    def __init__(self, runtime, workdir):
        self.runtime = runtime
        self.workdir = workdir
        self.root = os.path.join(workdir, "root")
        self.env = {**os.environ, "OCIRUNTIME_NETWORK_DIR": os.path.join(workdir, "networks")}
        sys.path.insert(0, os.path.join(REPO, "scripts"))
        from make_busybox_bundle import make_bundle
        self.bundle = os.path.join(workdir, "bundle")
        make_bundle(self.bundle, ["sleep", "1000"])
        with open(os.path.join(self.bundle, "config.json")) as f:
            self.config = json.load(f)
        self.count = 0

    def call(self, *args):
        subprocess.run([self.runtime, "--root", self.root, *args], env=self.env, check=True,
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)

    def config_dir(self, annotations):
        """A bundle dir of its own (config.json only, the shared rootfs) for one container."""
        self.count += 1
        cid = f"netbench{self.count}"
        bundle = os.path.join(self.workdir, cid)
        os.mkdir(bundle)
        config = {**self.config, "root": {"path": os.path.join(self.bundle, "rootfs")},
                  "annotations": annotations or {}}
        with open(os.path.join(bundle, "config.json"), "w") as f:
            json.dump(config, f)
        return cid, bundle

    def create(self, annotations, trace=None):
        cid, bundle = self.config_dir(annotations)
        self.call(*(["--trace", trace] if trace else []), "create", "--bundle", bundle, cid)
        return cid

    def traced_pair(self, annotations):
        """(create record, delete record) of one container."""
        trace = os.path.join(self.workdir, f"trace{self.count + 1}.json")
        cid = self.create(annotations, trace)
        self.call("--trace", trace, "delete", "--force", cid)
        with open(trace) as f:
            records = [json.loads(line) for line in f]
        return records[-2], records[-1]


def measure(bench, rounds):
    on_network = {"org.ociruntime.network": "benchnet"}
    bench.call("network", "create", "--subnet", SUBNET, "--gateway", GATEWAY, "benchnet")
    holder = bench.create(on_network)
    runs = {"plain": [], "bridge": []}
    try:
        for _ in range(rounds):
            runs["plain"].append(bench.traced_pair(None))
            runs["bridge"].append(bench.traced_pair(on_network))
    finally:
        bench.call("delete", "--force", holder)
    return {kind: {"create_ms": statistics.median(c["total_ms"] for c, _ in pairs),
                   "network_phase_ms": statistics.median(c["phases_ms"].get("network", 0.0) for c, _ in pairs),
                   "delete_ms": statistics.median(d["total_ms"] for _, d in pairs)}
            for kind, pairs in runs.items()}


def report(summary, rounds):
    plain, bridge = summary["plain"], summary["bridge"]
    lines = [f"bridge networking, medians of {rounds} (ms)",
             f"{'':15}{'plain':>10}{'bridge':>10}{'added':>10}"]
    for key in ("create_ms", "network_phase_ms", "delete_ms"):
        lines.append(f"{key[:-3]:15}{plain[key]:10.1f}{bridge[key]:10.1f}{bridge[key] - plain[key]:+10.1f}")
    return "\n".join(lines)


def main(argv):
    args = parse_args(argv)
    if os.environ.get(INSIDE) != "1":
        env = {**os.environ, INSIDE: "1"}
        return subprocess.run(["unshare", "--net", sys.executable, os.path.abspath(__file__), *argv], env=env).returncode
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    with tempfile.TemporaryDirectory(prefix="ociruntime-netbench-") as workdir:
        summary = measure(Bench(args.ociruntime, workdir), args.rounds)
    text = report(summary, args.rounds)
    print(text)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "network.json"), "w") as f:
        json.dump({"rounds": args.rounds, "medians_ms": summary}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
