#!/bin/sh
# Run the cgroup tests marked `cgroupv2` inside the pure cgroup v2 VM (the host is hybrid): the library's
# (tests/cgroups, plain processes) and the runtime's (tests/runtime_cgroups, real containers via the CLI).
# Usage: tests/vm/run_v2.sh [extra pytest args]     e.g. tests/vm/run_v2.sh -k devices
#        V2_TESTS="tests/runtime_cgroups" tests/vm/run_v2.sh       (one suite only)
# Then prints the cgroup cost under v2: the library's create()+apply of Docker's resource set
# (tests/vm/bench_create.py) and the "cgroup" phase of `ociruntime --trace create` (tests/vm/trace_create.py).
set -eu
repo=$(cd "$(dirname "$0")/../.." && pwd)
py=/opt/ociruntime/bin/python
tests=${V2_TESTS:-tests/cgroups tests/runtime_cgroups}
# pytest keeps unlinked temp files open, which the shared /tmp (9p) cannot truncate: use the guest tmpfs.
exec "${VMRUN:-$repo/../shared/vmrun}" --rw "$repo" --rw /tmp --env TMPDIR=/var/tmp --cwd "$repo" \
    --timeout "${VMRUN_TIMEOUT:-1800}" -- \
    /bin/sh -c "$py -m pytest -p no:cacheprovider -q -rs -m cgroupv2 $tests $* && $py tests/vm/bench_create.py \
                && $py tests/vm/trace_create.py"
