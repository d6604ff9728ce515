#!/bin/sh
# Packaging as a Python user meets it: fresh venvs with the newest pip, then
#   1. `pip install .`                      (build isolation: pyproject.toml's build requirements)
#   2. `python -m build` (sdist, then the wheel from the sdist) and `pip install <wheel>`
# Each must give a working `ociruntime` command (the C front door, handing `run` of a busybox
# bundle to the Python layer `ociruntime-py` beside it), the Python
# API (`ociruntime.run`, `Runtime`), and networking (the _netlink extension built and
# importable; tests/network/test_bridge.py, which reads links back with pyroute2, run
# against the installed package from outside the checkout). Needs root and network access to PyPI. Leaves nothing behind.
#     sh tests/packaging/check_install.sh [python]     (default: /usr/bin/python3)
set -eu
REPO=$(cd "$(dirname "$0")/../.." && pwd)
PY=${1:-/usr/bin/python3}
WORK=$(mktemp -d /tmp/oci-install.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
pip_q() { "$@" -q --disable-pip-version-check; }

check() {  # check VENV: the command, the API and networking from an installed ociruntime
    venv=$1
    name=$(basename "$venv")
    echo "== $name: $("$venv/bin/ociruntime" --version | head -1)"
    # the command is the C front door (an ELF), the Python layer it hands over to beside it
    [ "$(head -c 4 "$venv/bin/ociruntime" | tail -c 3)" = ELF ] && [ -x "$venv/bin/ociruntime-py" ] ||
        { echo "FAIL: $name: ociruntime is not the front door beside ociruntime-py"; exit 1; }
    case "$(cd /tmp && "$venv/bin/python" -c 'import ociruntime.api as a; print(a.__file__)')" in
        "$venv"/*) ;;
        *) echo "FAIL: $name imports ociruntime from outside its venv"; exit 1 ;;
    esac
    bundle=$WORK/bundle-$name
    (cd /tmp && "$venv/bin/python" "$REPO/scripts/make_busybox_bundle.py" "$bundle" sh -c 'echo hello-from-$0' "$name") >/dev/null
    out=$(cd "$bundle" && "$venv/bin/ociruntime" --root "$WORK/root" run "cli-$name-$$" </dev/null)
    [ "$out" = "hello-from-$name" ] || { echo "FAIL: $name: ociruntime run said: $out"; exit 1; }
    echo "   ociruntime run: ok"
    (cd /tmp && "$venv/bin/python" - "$bundle" "$WORK/root" <<'PY'
import sys
import ociruntime
bundle, root = sys.argv[1:]
assert ociruntime.run(bundle, root=root, console_socket=None) == 0
rt = ociruntime.Runtime(root)
with rt.create("api-check", bundle) as c:
    assert c.status == "created", c.status
assert rt.list() == []
import ociruntime._netlink, ociruntime.network.endpoints  # noqa: E401,F401 (networking importable)
print("   python API: ok")
PY
    )
    pip_q "$venv/bin/pip" install pytest "pyroute2==0.9.7"   # the tests' own dependencies
    (cd /tmp && "$venv/bin/python" -m pytest -q -p no:cacheprovider "$REPO/tests/network/test_bridge.py" >"$WORK/pytest.out" 2>&1) ||
        { cat "$WORK/pytest.out"; echo "FAIL: $name: networking tests"; exit 1; }
    echo "   networking (tests/network/test_bridge.py against the installed package): $(tail -1 "$WORK/pytest.out")"
}

for kind in source wheel; do
    "$PY" -m venv "$WORK/$kind"
    pip_q "$WORK/$kind/bin/pip" install --upgrade pip
done
echo "pip: $("$WORK/source/bin/pip" --version)"
pip_q "$WORK/source/bin/pip" install "$REPO"
check "$WORK/source"

pip_q "$WORK/wheel/bin/pip" install build
cp -a "$REPO" "$WORK/checkout"   # build from a copy: the sdist must carry everything itself
rm -rf "$WORK/checkout/build" "$WORK/checkout"/*.egg-info
"$WORK/wheel/bin/python" -m build -q --outdir "$WORK/dist" "$WORK/checkout" >/dev/null
ls "$WORK/dist"
pip_q "$WORK/wheel/bin/pip" install "$WORK"/dist/*.whl
check "$WORK/wheel"
echo "packaging: ok"
