#!/bin/sh
# Run the cgroup tests marked `cgroupv2` inside the pure cgroup v2 VM (the host is hybrid): the library's
# (tests/cgroups, plain processes) and the runtime's (tests/runtime_cgroups, real containers via the CLI;
# tests/reliability: damaged state records freed by delete --force; tests/compat: a frozen cgroup refused;
# tests/security: AppArmor profiles, which the VM's kernel has on and this host's has not).
# Usage: tests/vm/run_v2.sh [extra pytest args]     e.g. tests/vm/run_v2.sh -k devices
#        V2_TESTS="tests/runtime_cgroups" tests/vm/run_v2.sh       (one suite only)
# Then prints the cgroup cost under v2: the library's create()+apply of Docker's resource set
# (tests/vm/bench_create.py) and the "cgroup" phase of `ociruntime --trace create` (tests/vm/trace_create.py).
set -eu
. "$(dirname "$0")/lib.sh"
tests=${V2_TESTS:-tests/cgroups tests/runtime_cgroups tests/reliability tests/compat tests/security}
vm_run run_v2.sh -- /bin/sh -c "$py -m pytest -p no:cacheprovider -q -rs -m cgroupv2 $tests $* \
    && $(vm_bench "$py tests/vm/bench_create.py && $py tests/vm/trace_create.py")"
