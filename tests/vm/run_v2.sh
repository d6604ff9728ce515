#!/bin/sh
# Run the cgroup tests marked `cgroupv2` inside the pure cgroup v2 VM (the host is hybrid): the library's
# (tests/cgroups, plain processes) and the runtime's (tests/runtime_cgroups, real containers via the CLI;
# tests/reliability: damaged state records freed by delete --force; tests/compat: a frozen cgroup refused).
# Usage: tests/vm/run_v2.sh [extra pytest args]     e.g. tests/vm/run_v2.sh -k devices
#        V2_TESTS="tests/runtime_cgroups" tests/vm/run_v2.sh       (one suite only)
# Then prints the cgroup cost under v2: the library's create()+apply of Docker's resource set
# (tests/vm/bench_create.py) and the "cgroup" phase of `ociruntime --trace create` (tests/vm/trace_create.py).
set -eu
repo=$(cd "$(dirname "$0")/../.." && pwd)
py=${OCIRUNTIME_PYTHON:-/opt/ociruntime/bin/python}
tests=${V2_TESTS:-tests/cgroups tests/runtime_cgroups tests/reliability tests/compat}
# The tests run the `ociruntime` on PATH: the one beside $py, so that a branch's venv tests its own build.
# pytest keeps unlinked temp files open, which the shared /tmp (9p) cannot truncate: use the guest tmpfs.
# Output is unbuffered so that a run cut by the timeout still shows how far it got. A whole run takes
# ~3 min under TCG; a guest that hangs (seen once: a TCG guest spinning for 25 min with no test output)
# is given one more try, and only a timeout is retried: a failing test fails the run.
run_vm() {
    "${VMRUN:-$repo/../shared/vmrun}" --rw "$repo" --rw /tmp --env TMPDIR=/var/tmp --env PYTHONUNBUFFERED=1 \
        --cwd "$repo" --timeout "${VMRUN_TIMEOUT:-900}" -- \
        /bin/sh -c "PATH=$(dirname "$py"):\$PATH && $py -m pytest -p no:cacheprovider -q -rs -m cgroupv2 $tests $* && $py tests/vm/bench_create.py \
                    && $py tests/vm/trace_create.py"
}
rc=0
run_vm "$@" || rc=$?
if [ "$rc" = 124 ]; then
    echo "run_v2.sh: the VM timed out; one more try" >&2
    rc=0
    run_vm "$@" || rc=$?
fi
exit "$rc"
