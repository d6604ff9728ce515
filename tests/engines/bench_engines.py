"""Wall time of `docker run --rm bb true` and `ctr run --rm` on ociruntime vs runc, interleaved.

usage: bash scripts/engines.sh run /opt/ociruntime/bin/python tests/engines/bench_engines.py [RUNS]
Prints the median and min per case (seconds)."""
import os
import statistics
import subprocess
import sys
import time

RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 10
OCIRUNTIME, RUNC = "/usr/local/bin/ociruntime", "/usr/sbin/runc"
DOCKER = ["docker", "run", "--rm", "--pull", "never", "--network", "none"]


def ctr_run(binary, i):
    name = f"oci-test-bench-{os.path.basename(binary)}-{i}"
    return ["ctr", "run", "--rm", "--runtime", "io.containerd.runc.v2", "--runc-binary", binary,
            "--cgroup", f"oci-test-ctr/{name}", "docker.io/library/bb:latest", name, "true"]


CASES = {
    "docker run --rm bb true  (ociruntime)": lambda i: DOCKER + ["--runtime", "oci", "bb", "true"],
    "docker run --rm bb true  (runc)": lambda i: DOCKER + ["--runtime", "realrunc", "bb", "true"],
    "ctr run --rm bb true     (ociruntime)": lambda i: ctr_run(OCIRUNTIME, i),
    "ctr run --rm bb true     (runc)": lambda i: ctr_run(RUNC, i),
}


def main():
    times = {case: [] for case in CASES}
    for i in range(RUNS + 1):  # the first round warms caches and is dropped
        for case, argv in CASES.items():
            start = time.perf_counter()
            subprocess.run(argv(i), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if i:
                times[case].append(time.perf_counter() - start)
    for case, samples in times.items():
        print(f"{case}: median {statistics.median(samples):.3f}  min {min(samples):.3f}  (n={len(samples)})")


if __name__ == "__main__":
    main()
