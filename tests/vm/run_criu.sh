#!/bin/sh
# Run the checkpoint/restore tests (marker `criu`) inside the pure cgroup v2 VM: CRIU 3.17
# fails its vDSO check on the host's kernel and works on the VM's (Debian 6.1).
# Usage: tests/vm/run_criu.sh [extra pytest args]      e.g. tests/vm/run_criu.sh -k tcp
#        CRIU_BENCH=1 tests/vm/run_criu.sh     then bench/criu_times.py: checkpoint/restore times next to runc's
# A checkpoint takes ~15 s under TCG; the whole run ~5 min. As run_v2.sh: a guest that
# hangs (timeout) gets one more try, a failing test fails the run.
set -eu
. "$(dirname "$0")/lib.sh"
bench=true
if [ -n "${CRIU_BENCH:-}" ]; then bench=$(vm_bench "$py bench/criu_times.py 1"); fi
vm_run run_criu.sh -- \
    /bin/sh -c "$py -m pytest -p no:cacheprovider -q -rs -m criu tests/checkpoint $* && $bench"
