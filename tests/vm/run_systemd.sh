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
repo=$(cd "$(dirname "$0")/../.." && pwd)
py=${OCIRUNTIME_PYTHON:-/opt/ociruntime/bin/python}
tests=${SYSTEMD_TESTS:-tests/systemd tests/engines_systemd}
rounds=${SYSTEMD_BENCH_ROUNDS:-3}
# as run_v2.sh: temp files on the guest's tmpfs, unbuffered output, one more try after a timeout only
run_vm() {
    "${VMRUN:-$repo/../shared/vmrun}" --systemd --rw "$repo" --rw /tmp --env TMPDIR=/var/tmp \
        --env PYTHONUNBUFFERED=1 --env OCIRUNTIME_PYTHON="$py" --cwd "$repo" --timeout "${VMRUN_TIMEOUT:-900}" -- \
        /bin/sh -c "$py -m pytest -p no:cacheprovider -q -rs -m systemd $tests $* && $py tests/vm/bench_systemd.py $rounds"
}
rc=0
run_vm "$@" || rc=$?
if [ "$rc" = 124 ]; then
    echo "run_systemd.sh: the VM timed out; one more try" >&2
    rc=0
    run_vm "$@" || rc=$?
fi
exit "$rc"
