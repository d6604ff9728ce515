#!/bin/sh
# Set up ociruntime on a fresh Debian 12 machine (as root) and run a demo container.
# Installs the system packages it needs, a venv at /opt/ociruntime with ociruntime built
# into it (editable: the checkout is the code that runs), and /usr/local/bin/ociruntime.
set -eu
cd "$(dirname "$0")/.."
VENV=${OCIRUNTIME_VENV:-/opt/ociruntime}
export DEBIAN_FRONTEND=noninteractive
missing=""
for pkg in python3-venv python3-dev gcc libseccomp-dev libnl-3-dev libnl-route-3-dev libnftables-dev busybox-static iproute2 nftables util-linux procps runc crun; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing="$missing $pkg"
done
if [ -n "$missing" ]; then
    apt-get update -qq
    apt-get install -y -qq $missing >/dev/null
fi
[ -x "$VENV/bin/python" ] || /usr/bin/python3 -m venv "$VENV"
"$VENV/bin/pip" install -q --disable-pip-version-check "cffi>=1.15" "setuptools<70" wheel pytest jsonschema "pyroute2==0.9.7"
"$VENV/bin/pip" install -q --disable-pip-version-check --no-build-isolation -e .
"$VENV/bin/python" -m ociruntime.cli.launcher "$VENV/bin/ociruntime" >/dev/null  # the fast launcher (-IS)
ln -sf "$VENV/bin/ociruntime" /usr/local/bin/ociruntime
demo=${OCIRUNTIME_DEMO:-/tmp/ociruntime-demo}
rm -rf "$demo"
"$VENV/bin/python" scripts/make_busybox_bundle.py "$demo"
cd "$demo" && ociruntime run "demo-$$"
