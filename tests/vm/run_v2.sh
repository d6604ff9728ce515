#!/bin/sh
# Run the cgroup tests marked `cgroupv2` inside the pure cgroup v2 VM (the host is hybrid).
# Usage: tests/vm/run_v2.sh [extra pytest args]     e.g. tests/vm/run_v2.sh -k devices
# Also prints the create()+apply cost of Docker's resource set under v2 (tests/vm/bench_create.py).
set -eu
repo=$(cd "$(dirname "$0")/../.." && pwd)
py=/opt/ociruntime/bin/python
# pytest keeps unlinked temp files open, which the shared /tmp (9p) cannot truncate: use the guest tmpfs.
exec /work/shared/vmrun --rw "$repo" --rw /tmp --env TMPDIR=/var/tmp --cwd "$repo" \
    --timeout "${VMRUN_TIMEOUT:-1200}" -- \
    /bin/sh -c "$py -m pytest -p no:cacheprovider -q -rs -m cgroupv2 tests/cgroups $* && $py tests/vm/bench_create.py"
