"""Smoke test of bench/startup.py's plumbing: argument parsing, the result JSON, failure
reporting and cleanup, with one sample of the `run` case (a few seconds in all)."""
import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest
from support import own_cgroup_dirs

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(REPO, "bench", "startup.py")
RUNC = shutil.which("runc") or shutil.which("runc", path="/usr/sbin:/usr/bin")

needs_runc = pytest.mark.skipif(not RUNC or os.geteuid() != 0 or not os.path.exists("/bin/busybox"),
                                reason="needs root, runc and /bin/busybox")


def run_bench(out_dir, *args):
    done = subprocess.run([sys.executable, BENCH, "--out", str(out_dir), *args],
                          capture_output=True, text=True, timeout=120)
    return done


def load_result(out_dir):
    with open(os.path.join(out_dir, "startup.json")) as f:
        return json.load(f)


def is_sleep(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().startswith(b"/bin/sleep")
    except OSError:
        return False


def test_rejects_unknown_case_and_runtime(tmp_path):
    done = run_bench(tmp_path, "--cases", "run,nosuchcase")
    assert done.returncode == 2
    assert "nosuchcase" in done.stderr and "lifecycle" in done.stderr
    done = run_bench(tmp_path, "--runtimes", "runc,youki")
    assert done.returncode == 2
    assert "youki" in done.stderr
    assert not os.path.exists(tmp_path / "startup.json")


@needs_runc
def test_one_run_against_runc_writes_result_json_and_leaves_nothing(tmp_path):
    done = run_bench(tmp_path, "--runs", "1", "--cases", "run", "--runtimes", "runc")
    assert done.returncode == 0, done.stderr
    result = load_result(tmp_path)

    assert result["schema"] == "ociruntime-bench-startup/1"
    assert result["args"] == {"runs": 1, "batch_runs": 3, "cases": ["run"], "runtimes": ["runc"]}
    assert list(result["cases"]) == ["run"]
    runc = result["cases"]["run"]["results"]["runc"]
    assert runc["status"] == "ok" and runc["error"] is None
    assert len(runc["samples_ms"]) == 1 and 0 < runc["samples_ms"][0] < 60_000
    summary = result["summary"]["run"]["runtimes"]["runc"]["ms"]
    assert summary["n"] == 1 and summary["median"] == runc["samples_ms"][0]
    assert 1024 < result["rss_kb"]["runc"]["run"][0] < 200 * 1024
    if shutil.which("cc"):  # runc forked from the C fork server, not from the Python bench
        assert "fork server" in result["rss_method"]

    info = result["runtimes"]["runc"]
    assert info["available"] and info["version"].startswith("runc version")
    memory = info["cgroups_observed"]["memory"]
    own_memory = result["host"]["cgroup_hierarchies"]["memory"]
    assert memory.startswith(own_memory.rstrip("/") + "/" + result["cgroup_parent"] + "/")

    assert result["cleanup_left"] == []
    assert not any(os.path.exists(d) for d in own_cgroup_dirs(result["cgroup_parent"]))
    assert "run /bin/true (own netns)" in done.stdout
    if os.path.exists(tmp_path / "startup.png"):
        with open(tmp_path / "startup.png", "rb") as f:
            assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    else:
        assert "chart skipped" in done.stdout


@needs_runc
def test_missing_and_failing_runtimes_are_reported_not_fatal(tmp_path):
    failing = tmp_path / "failing-runtime"
    failing.write_text('#!/bin/sh\n[ "$1" = --version ] && { echo failing 0; exit 0; }\n'
                       'echo "failing: refusing $4" >&2; exit 3\n')
    failing.chmod(0o755)
    out = tmp_path / "out"

    done = run_bench(out, "--runs", "1", "--cases", "run", "--runtimes", "ociruntime,runc",
                     "--ociruntime", str(tmp_path / "absent"), "--no-chart")
    assert done.returncode == 0, done.stderr
    result = load_result(out)["cases"]["run"]["results"]
    assert result["ociruntime"]["status"] == "unavailable"
    assert "absent" in result["ociruntime"]["error"]
    assert result["runc"]["status"] == "ok"

    done = run_bench(out, "--runs", "1", "--cases", "run", "--runtimes", "ociruntime,runc",
                     "--ociruntime", str(failing), "--no-chart")
    assert done.returncode == 0, done.stderr
    document = load_result(out)
    result = document["cases"]["run"]["results"]
    assert result["ociruntime"]["status"] == "failed"
    assert "exit 3" in result["ociruntime"]["error"] and "failing: refusing" in result["ociruntime"]["error"]
    assert result["runc"]["status"] == "ok" and len(result["runc"]["samples_ms"]) == 1
    assert document["cleanup_left"] == []


@needs_runc
def test_ctrl_c_deletes_containers_cgroups_and_temp_dir(tmp_path):
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    bench = subprocess.Popen(
        [sys.executable, BENCH, "--out", str(tmp_path / "out"), "--runs", "100000", "--cases", "state",
         "--runtimes", "runc", "--no-chart"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True,
        env={**os.environ, "TMPDIR": str(tmpdir)})
    try:
        for line in bench.stderr:
            if line.startswith("bench: state:"):
                break
        time.sleep(0.5)
        pid_files = glob.glob(str(tmpdir / "oci-bench-*" / "bundles" / "*" / "init.pid"))
        newest = max(pid_files, key=lambda path: int(path.split("/")[-2].rsplit("-", 1)[1]))
        with open(os.path.join(os.path.dirname(newest), "config.json")) as f:
            parent = json.load(f)["linux"]["cgroupsPath"].split("/")[0]
        with open(newest) as f:
            sleeper = int(f.read())
        assert is_sleep(sleeper)
        assert any(os.path.isdir(d) for d in own_cgroup_dirs(parent))

        os.killpg(bench.pid, signal.SIGINT)  # what a terminal's Ctrl-C does
        assert bench.wait(timeout=60) == 130
    finally:
        if bench.poll() is None:
            bench.kill()
            bench.wait()
        bench.stderr.close()
    assert list(tmpdir.iterdir()) == []
    assert not any(os.path.exists(d) for d in own_cgroup_dirs(parent))
    assert not is_sleep(sleeper)
    assert not os.path.exists(tmp_path / "out" / "startup.json")


def _host_links():
    return sorted(subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True, check=True)
                  .stdout.split("\n"))


@pytest.mark.skipif(os.geteuid() != 0 or not os.path.exists("/bin/busybox") or not shutil.which("unshare"),
                    reason="needs root, unshare and /bin/busybox")
def test_network_bench_measures_in_a_namespace_of_its_own(tmp_path):
    """bench/network.py: one round gives both kinds' medians, and the host's links are
    untouched (the bridge and veths lived in the bench's own network namespace)."""
    before = _host_links()
    done = subprocess.run([sys.executable, os.path.join(REPO, "bench", "network.py"), "--rounds", "1",
                           "--out", str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    with open(tmp_path / "network.json") as f:
        medians = json.load(f)["medians_ms"]
    assert medians["bridge"]["network_phase_ms"] > 0
    assert all(medians[kind][key] > 0 for kind in ("plain", "bridge") for key in ("create_ms", "delete_ms"))
    assert _host_links() == before
