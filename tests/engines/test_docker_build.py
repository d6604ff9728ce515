"""Images made by running containers: `docker build` (legacy builder: containers through
containerd; BuildKit: `runc run` from dockerd's PATH, which engines.sh makes ociruntime) and
`docker commit`."""
import os

import pytest

pytestmark = pytest.mark.engines

DOCKERFILE = 'FROM bb\nRUN echo built > /built.txt && id -u >> /built.txt\nCMD ["cat", "/built.txt"]\n'


@pytest.fixture
def context(tmp_path):
    (tmp_path / "Dockerfile").write_text(DOCKERFILE)
    return str(tmp_path)


def build_and_run(docker, builder_env, docker_cmd, context):
    tag = docker.name()
    try:
        docker.cmd = [docker_cmd]
        docker.env = dict(docker.env, **builder_env)
        docker("build", "--network", "none", "-t", tag, context)
        return docker.out("run", "--rm", "--pull", "never", "--network", "none", tag)
    finally:
        docker("rmi", "-f", tag, check=False)


def test_legacy_builder(docker, context):
    assert build_and_run(docker, {"DOCKER_BUILDKIT": "0"}, "docker", context).split() == ["built", "0"]


def test_buildkit_runs_ociruntime(docker, context, engines):
    """Docker 28's client needs buildx for BuildKit: Debian's 20.10 client has it built in."""
    calls = os.path.join(engines["ENGINES_STATE"], "runc.calls")
    before = os.path.getsize(calls) if os.path.exists(calls) else 0
    assert build_and_run(docker, {"DOCKER_BUILDKIT": "1"}, "/usr/bin/docker", context).split() == ["built", "0"]
    with open(calls) as f:
        f.seek(before)
        runs = [line.split() for line in f if " run " in line]
    assert runs and all(call[:3] == ["--log", call[1], "--log-format"] for call in runs)
    docker("builder", "prune", "-af", check=False)


def test_commit_keeps_the_containers_changes(docker):
    name = docker.name()
    docker("run", "--pull", "never", "--network", "none", "--name", name, "bb", "sh", "-c", "echo kept > /kept")
    tag = docker.name()
    try:
        docker("commit", name, tag)
        assert docker.out("run", "--rm", "--pull", "never", "--network", "none", tag, "cat", "/kept") == "kept"
    finally:
        docker("rmi", "-f", tag, check=False)
