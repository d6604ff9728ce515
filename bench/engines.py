"""`ctr run --rm` and `docker run --rm` of /bin/true through each runtime, interleaved
the same way as the other cases: what an engine user waits for, shim and all.

The engines are a set of their own (scripts/engines.sh with ENGINES_NAME=oci-bench-TOKEN:
own state dirs, sockets and cgroup parents, no podman), started by the first engine
case and stopped when the bench ends, so tests' engines running meanwhile are not
touched. Docker's runtimes are the bench's binaries (`--add-runtime`); ctr gets each
runtime with --runc-binary. Without docker/ctr/containerd the cases are skipped with a
message. Engines call runtimes with their own --root: the bench's --root is not used."""
import os
import shlex
import shutil
import subprocess
import time

import cases
import spawn

HERE = os.path.dirname(os.path.abspath(__file__))
ENGINES_SH = os.path.join(os.path.dirname(HERE), "scripts", "engines.sh")
IMAGE = "bb"
DOCKER_RUNTIME = {"ociruntime": "oci", "runc": "realrunc", "crun": "crun"}


class Engines:
    """One set of containerd + dockerd for the whole bench run."""

    def __init__(self, token, ociruntime, python):
        self.env = dict(os.environ, ENGINES_NAME=f"oci-bench-{token}", ENGINES_NO_PODMAN="1",
                        OCIRUNTIME_BIN=ociruntime, OCIRUNTIME_PYTHON=python)
        self.started = False
        self.failed = None

    def missing(self):
        """Why the engine cases cannot run here, or None."""
        absent = [tool for tool in ("docker", "dockerd", "ctr", "containerd") if not shutil.which(tool)]
        return f"not installed: {', '.join(absent)}" if absent else self.failed

    def ensure_started(self):
        if self.started or self.failed:
            return self.failed is None
        for step in ("start", "image"):
            done = subprocess.run(["bash", ENGINES_SH, step], env=self.env, capture_output=True, text=True)
            if done.returncode:
                self.failed = f"engines.sh {step}: {(done.stderr.strip().splitlines() or ['?'])[-1]}"
                self.stop()
                return False
        out = subprocess.run(["bash", ENGINES_SH, "env"], env=self.env, capture_output=True, text=True).stdout
        for line in out.splitlines():
            key, _, value = line.removeprefix("export ").partition("=")
            self.env[key] = shlex.split(value)[0] if value else ""
        self.started = True
        return True

    def stop(self):
        subprocess.run(["bash", ENGINES_SH, "stop"], env=self.env, capture_output=True)
        self.started = False

    def call(self, argv, timeout_s):
        t0 = time.perf_counter_ns()
        try:
            done = subprocess.run(argv, env=self.env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                  timeout=timeout_s)
        except subprocess.TimeoutExpired:
            raise spawn.CallFailed(f"{' '.join(argv[:3])}: still running after {timeout_s:g} s") from None
        ms = (time.perf_counter_ns() - t0) / 1e6
        if done.returncode:
            lines = done.stderr.strip().splitlines() or ["no output"]
            why = next((line for line in lines if "error" in line.lower()), lines[-1])  # docker ends with usage
            raise spawn.CallFailed(f"{' '.join(argv[:2])} exit {done.returncode}: {why[:300]}")
        return ms


class EngineRun(cases.Case):
    def __init__(self, engines, name, title):
        self.engines, self.name, self.title = engines, name, title
        self.serial = 0

    def setup(self, env, rt):
        if not self.engines.ensure_started():
            raise spawn.CallFailed(self.engines.failed)

    def sample(self, env, rt):
        self.serial += 1
        tag = f"ob{env.factory.token}-{rt.name[:4]}-{self.serial}"
        if self.name == "docker-run":
            argv = ["docker", "run", "--rm", "--pull", "never", "--network", "none",
                    "--runtime", DOCKER_RUNTIME[rt.name], IMAGE, "true"]
        else:
            argv = ["ctr", "run", "--rm", "--runtime", "io.containerd.runc.v2", "--runc-binary", rt.binary,
                    "--cgroup", f"{self.engines.env['ENGINES_NAME']}-ctr/{tag}", f"docker.io/library/{IMAGE}:latest",
                    tag, "true"]
        return cases.Sample(self.engines.call(argv, rt.timeout_s))


def engine_cases(engines):
    return [EngineRun(engines, "ctr-run", "ctr run --rm /bin/true (containerd shim)"),
            EngineRun(engines, "docker-run", "docker run --rm /bin/true (dockerd, containerd shim)")]
