"""Cost of open_manager()+create(Docker's linux.resources)+destroy(), in ms, on this host.

Run as root: /opt/ociruntime/bin/python tests/vm/bench_create.py   (run_v2.sh runs it in the VM)."""

import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from support import SAMPLES  # noqa: E402
from ociruntime.cgroups import open_manager, resources_for_spec  # noqa: E402

SAMPLE = os.path.join(SAMPLES, "config.json")
ROUNDS = 20


def main():
    with open(SAMPLE) as f:
        resources = resources_for_spec(json.load(f)["linux"])
    resources.update(memory={"limit": 256 << 20, "swap": 512 << 20}, pids={"limit": 100},
                     cpu={"shares": 512, "quota": 50000, "period": 100000})
    create_ms, destroy_ms = [], []
    for i in range(ROUNDS):
        name = f"oci-test-bench-{os.getpid()}-{i}"
        start = time.perf_counter()
        mgr = open_manager(name, name)
        mgr.create(resources)
        created = time.perf_counter()
        mgr.destroy()
        create_ms.append((created - start) * 1000)
        destroy_ms.append((time.perf_counter() - created) * 1000)
    print(f"cgroup v{mgr.version}: open_manager+create(Docker resources): median {statistics.median(create_ms):.2f} ms "
          f"(first {create_ms[0]:.2f} ms), destroy: median {statistics.median(destroy_ms):.2f} ms")


if __name__ == "__main__":
    main()
