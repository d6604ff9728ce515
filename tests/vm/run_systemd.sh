#!/bin/sh
# Run the tests marked `systemd` in the pure cgroup v2 VM booted with systemd as PID 1 and the
# system D-Bus up (../shared/vmrun --systemd): the systemd cgroup driver alone (tests/systemd),
# then the engines on it where installed (tests/engines_systemd: Docker, ctr, podman with their
# defaults). Then prints the driver's cost in `create` next to the cgroupfs v2 driver's
# (tests/vm/bench_systemd.py).
# Usage: tests/vm/run_systemd.sh [extra pytest args]      e.g. tests/vm/run_systemd.sh -k slice
#        SYSTEMD_TESTS=tests/systemd tests/vm/run_systemd.sh   (one suite only)
#        SYSTEMD_BENCH_ROUNDS=10 tests/vm/run_systemd.sh       (rounds per bench row, default 3)
set -eu
. "$(dirname "$0")/lib.sh"
tests=${SYSTEMD_TESTS:-tests/systemd tests/engines_systemd}
rounds=${SYSTEMD_BENCH_ROUNDS:-3}
vm_run run_systemd.sh --systemd -- /bin/sh -c "$py -m pytest -p no:cacheprovider -q -rs -m systemd $tests $* \
    && $(vm_bench "$py tests/vm/bench_systemd.py $rounds")"
