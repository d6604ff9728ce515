#!/bin/bash
# Real engines on ociruntime, each with its own state dirs so nothing of the host's is touched:
# containerd 1.6 + Docker Engine 20.10 (runtime "oci" = ociruntime, the default) and podman 4.3.
#
#   engines.sh install        apt-get install docker.io containerd podman (if missing)
#   engines.sh start          start containerd and dockerd in the background (PIDs in $ENGINES_STATE)
#   engines.sh image          import the busybox image "bb" into docker, ctr (namespace oci-test), podman
#   engines.sh stop           stop the daemons by PID, remove their state, cgroups and mounts
#   engines.sh run CMD...     start + image, run CMD (with DOCKER_HOST etc. exported), stop
#   engines.sh env            print the environment (DOCKER_HOST, ...) to talk to them
#
# The daemons are orphaned when `start` returns: run it from a child subreaper (pytest's conftest is
# one; `run` makes itself one), since PID 1 on these machines does not reap orphans.
# Networking: dockerd runs with --bridge=none --iptables=false --ip-forward=false --ip-masq=false, so it
# adds no docker0 and no iptables rules; a user-defined bridge network is the tests' to remove.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(dirname "$HERE")
PY=${OCIRUNTIME_PYTHON:-/opt/ociruntime/bin/python}
RUNTIME=${OCIRUNTIME_BIN:-/usr/local/bin/ociruntime}
# ENGINES_NAME: a second set of engines beside the tests' (bench/engines.py uses its own)
NAME=${ENGINES_NAME:-oci-test}
STATE=${ENGINES_STATE:-/run/$NAME-engines}
CTRD_ROOT=/var/lib/$NAME-containerd CTRD_STATE=/run/$NAME-containerd
CTRD_SOCK=$CTRD_STATE/containerd.sock
DOCKER_ROOT=/var/lib/$NAME-docker DOCKER_EXEC=/run/$NAME-docker
DOCKER_SOCK=/run/$NAME-docker.sock
PODMAN_ROOT=/var/lib/$NAME-podman PODMAN_RUN=/run/$NAME-podman
PODMAN_FIXED_DIRS="/var/lib/containers /run/containers"
CGROUP_PARENT=$NAME-docker   # relative: beneath the shim's (= this caller's) own cgroup
# the tests put ctr's and podman's containers beneath oci-test-ctr and oci-test-podman (relative too)
IMAGE=bb

print_env() {
    cat <<EOF
export DOCKER_HOST=unix://$DOCKER_SOCK
export CONTAINERD_ADDRESS=$CTRD_SOCK
export CONTAINERD_NAMESPACE=oci-test
export CONTAINERS_CONF=$STATE/containers.conf
export ENGINES_PODMAN="podman --root $PODMAN_ROOT --runroot $PODMAN_RUN --runtime $RUNTIME --cgroup-manager cgroupfs --events-backend file"
export ENGINES_STATE=$STATE
EOF
}

install() {
    local missing="" pkg
    for pkg in docker.io containerd podman; do
        dpkg -s "$pkg" >/dev/null 2>&1 || missing="$missing $pkg"
    done
    [ -z "$missing" ] && return
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq $missing >/dev/null
}

wait_for_socket() {  # SOCK PID NAME
    local i
    for i in $(seq 1 150); do
        [ -S "$1" ] && return 0
        kill -0 "$2" 2>/dev/null || { echo "$3 died: see $STATE/$3.log" >&2; tail -5 "$STATE/$3.log" >&2; return 1; }
        sleep 0.1
    done
    echo "$3 did not come up: see $STATE/$3.log" >&2
    return 1
}

write_configs() {
    mkdir -p "$STATE/bin" "$CTRD_STATE" "$DOCKER_EXEC" "$PODMAN_RUN"
    cat >"$STATE/containerd.toml" <<EOF
version = 2
root = "$CTRD_ROOT"
state = "$CTRD_STATE"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$CTRD_SOCK"
[ttrpc]
  address = "$CTRD_STATE/containerd.sock.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
EOF
    echo '{}' >"$STATE/daemon.json"
    cat >"$STATE/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=4096:4096", "nproc=4096:4096"]
netns = "none"
cgroups = "no-conmon"
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$PODMAN_RUN/events.log"
tmp_dir = "$PODMAN_RUN/libpod"
volume_path = "$PODMAN_ROOT/volumes"
static_dir = "$PODMAN_ROOT/libpod"
runtime = "ociruntime"
[engine.runtimes]
ociruntime = ["$RUNTIME"]
EOF
    # BuildKit runs `runc` from dockerd's PATH: make that ociruntime, noting each call
    printf '#!/bin/sh\necho "$*" >>%s/runc.calls\nexec %s "$@"\n' "$STATE" "$RUNTIME" >"$STATE/bin/runc"
    chmod +x "$STATE/bin/runc"
}

start() {
    if [ -f "$STATE/dockerd.pid" ] && kill -0 "$(cat "$STATE/dockerd.pid")" 2>/dev/null; then
        echo "engines already running (PIDs in $STATE)" >&2
        return 0
    fi
    write_configs
    # podman makes these whatever its --root says (blob-info cache, netavark's run dir)
    local d
    # (ENGINES_NO_PODMAN: engines beside the tests' that never run podman, nor touch these)
    [ -n "${ENGINES_NO_PODMAN:-}" ] || for d in $PODMAN_FIXED_DIRS; do
        [ -e "$d" ] || echo "$d" >>"$STATE/made-dirs"
    done
    containerd --config "$STATE/containerd.toml" >"$STATE/containerd.log" 2>&1 </dev/null &
    echo $! >"$STATE/containerd.pid"
    wait_for_socket "$CTRD_SOCK" "$(cat "$STATE/containerd.pid")" containerd
    PATH="$STATE/bin:$PATH" dockerd --config-file "$STATE/daemon.json" --containerd "$CTRD_SOCK" \
        --data-root "$DOCKER_ROOT" --exec-root "$DOCKER_EXEC" -H "unix://$DOCKER_SOCK" \
        --pidfile "$STATE/dockerd.pidfile" --add-runtime "oci=$RUNTIME" --default-runtime oci \
        --add-runtime realrunc=/usr/sbin/runc $(command -v crun >/dev/null && echo --add-runtime "crun=$(command -v crun)") \
        --exec-opt native.cgroupdriver=cgroupfs \
        --cgroup-parent "$CGROUP_PARENT" --bridge none --iptables=false --ip-forward=false \
        --ip-masq=false --userland-proxy=false --storage-driver overlay2 \
        >"$STATE/dockerd.log" 2>&1 </dev/null &
    echo $! >"$STATE/dockerd.pid"
    wait_for_socket "$DOCKER_SOCK" "$(cat "$STATE/dockerd.pid")" dockerd
    local i
    for i in $(seq 1 100); do
        docker -H "unix://$DOCKER_SOCK" version >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    echo "dockerd does not answer: see $STATE/dockerd.log" >&2
    return 1
}

image() {
    eval "$(print_env)"
    docker image inspect "$IMAGE" >/dev/null 2>&1 && return 0
    local tmp
    tmp=$(mktemp -d /tmp/oci-test-bb.XXXXXX)
    "$PY" "$REPO/scripts/make_busybox_bundle.py" "$tmp/bundle" true
    tar -C "$tmp/bundle/rootfs" -cf "$tmp/rootfs.tar" .
    docker import -c 'CMD ["sh"]' -c 'ENV PATH=/bin' "$tmp/rootfs.tar" "$IMAGE" >/dev/null
    docker save "$IMAGE" -o "$tmp/image.tar"
    ctr images import --base-name "docker.io/library/$IMAGE" "$tmp/image.tar" >/dev/null
    [ -n "${ENGINES_NO_PODMAN:-}" ] || $ENGINES_PODMAN import -c 'CMD ["sh"]' -c 'ENV PATH=/bin' "$tmp/rootfs.tar" "localhost/$IMAGE" >/dev/null
    rm -rf "$tmp"
}

is_running() {  # PID: alive and not a zombie
    [ -r "/proc/$1/stat" ] && ! awk '{exit ($3 == "Z") ? 0 : 1}' "/proc/$1/stat" 2>/dev/null
}

stop_pid() {  # NAME: SIGTERM, then SIGKILL after 15 s
    local f="$STATE/$1.pid" pid i
    [ -f "$f" ] || return 0
    pid=$(cat "$f")
    if is_running "$pid"; then
        kill -TERM "$pid" 2>/dev/null || true
        for i in $(seq 1 150); do is_running "$pid" || break; sleep 0.1; done
        is_running "$pid" && kill -KILL "$pid" 2>/dev/null || true
        for i in $(seq 1 50); do is_running "$pid" || break; sleep 0.1; done
    fi
    rm -f "$f"
}

stop() {
    eval "$(print_env)"
    if [ -S "$DOCKER_SOCK" ]; then
        docker ps -aq | xargs -r docker rm -f >/dev/null 2>&1 || true
        docker network ls -q --filter type=custom | xargs -r docker network rm >/dev/null 2>&1 || true
    fi
    if [ -z "${ENGINES_NO_PODMAN:-}" ] && command -v podman >/dev/null && [ -d "$PODMAN_ROOT" ]; then
        $ENGINES_PODMAN rm -af >/dev/null 2>&1 || true
    fi
    stop_pid dockerd
    if [ -S "$CTRD_SOCK" ]; then
        local ns t
        for ns in $(ctr namespaces ls -q 2>/dev/null); do
            for t in $(ctr -n "$ns" tasks ls -q 2>/dev/null); do ctr -n "$ns" tasks kill -s KILL "$t" >/dev/null 2>&1 || true; done
            sleep 0.2
            for t in $(ctr -n "$ns" tasks ls -q 2>/dev/null); do ctr -n "$ns" tasks rm -f "$t" >/dev/null 2>&1 || true; done
            for t in $(ctr -n "$ns" containers ls -q 2>/dev/null); do ctr -n "$ns" containers rm "$t" >/dev/null 2>&1 || true; done
        done
    fi
    stop_pid containerd
    # whatever stayed mounted beneath the state dirs (overlay layers, shm, netns files)
    local m
    for m in $(awk '{print $5}' /proc/self/mountinfo | grep -E "^($CTRD_ROOT|$CTRD_STATE|$DOCKER_ROOT|$DOCKER_EXEC|$PODMAN_ROOT|$PODMAN_RUN)(/|$)" | sort -r); do
        umount -l "$m" 2>/dev/null || true
    done
    # the cgroups docker and podman made beneath ours: leaves first; rmdir fails on a busy one
    local p
    for p in $CGROUP_PARENT $NAME-ctr $NAME-podman; do
        find /sys/fs/cgroup -depth -type d \( -path "*/$p" -o -path "*/$p/*" \) -exec rmdir {} \; 2>/dev/null || true
    done
    [ -f "$STATE/made-dirs" ] && xargs -r rm -rf <"$STATE/made-dirs"
    rm -rf "$CTRD_ROOT" "$CTRD_STATE" "$DOCKER_ROOT" "$DOCKER_EXEC" "$DOCKER_SOCK" "$PODMAN_ROOT" "$PODMAN_RUN" "$STATE"
}

case "${1:-}" in
    install) install ;;
    start) start ;;
    image) image ;;
    stop) stop ;;
    env) print_env ;;
    run)
        shift
        if [ -z "${ENGINES_SUBREAPER:-}" ]; then
            # become a child subreaper (kept across exec) so the shims' orphans are reaped by bash
            exec env ENGINES_SUBREAPER=1 "$PY" -c 'import ctypes, os, sys
ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)
os.execvp("bash", ["bash"] + sys.argv[1:])' "$0" run "$@"
        fi
        trap stop EXIT
        start
        image
        eval "$(print_env)"
        "$@"
        ;;
    *) sed -n '2,15p' "$0" >&2; exit 2 ;;
esac
