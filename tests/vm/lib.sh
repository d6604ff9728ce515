# Shared by the tests/vm/run_*.sh scripts (sourced): one VM run with the repo and /tmp shared,
# temp files on the guest's tmpfs (pytest keeps unlinked temp files open, which the shared /tmp,
# 9p, cannot truncate), unbuffered output so that a run cut by the timeout still shows how far it
# got; and one more try after a timeout only (a TCG guest was once seen spinning for 25 min with no
# output), never after a failing test.
# The tests run the `ociruntime` on PATH: the one beside $py, so that a branch's venv tests its own build.
#   vm_run NAME [vmrun options] -- COMMAND...
# VM_BENCH=0 (CI) leaves out the bench step each script runs after its tests.
repo=$(cd "$(dirname "$0")/../.." && pwd)
py=${OCIRUNTIME_PYTHON:-/opt/ociruntime/bin/python}

vm_once() {
    "${VMRUN:-$repo/../shared/vmrun}" --rw "$repo" --rw /tmp --env TMPDIR=/var/tmp --env PYTHONUNBUFFERED=1 \
        --env OCIRUNTIME_PYTHON="$py" --env PATH="$(dirname "$py"):$PATH" --cwd "$repo" --timeout "${VMRUN_TIMEOUT:-900}" "$@"
}

vm_run() {
    name=$1
    shift
    rc=0
    vm_once "$@" || rc=$?
    if [ "$rc" = 124 ]; then
        echo "$name: the VM timed out; one more try" >&2
        rc=0
        vm_once "$@" || rc=$?
    fi
    return "$rc"
}

# the bench command, or `true` when VM_BENCH=0
vm_bench() {
    if [ "${VM_BENCH:-1}" = 0 ]; then echo true; else echo "$*"; fi
}
