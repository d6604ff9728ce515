"""Resource options read back inside the container (its cgroup, mounted at /sys/fs/cgroup) and
enforced: memory and CPU limits, OOM kill, pids limit, `docker update`."""
import pytest

pytestmark = pytest.mark.engines

RUN = ["run", "--rm", "--pull", "never", "--network", "none"]


def test_memory_and_cpu_limits_read_back_inside(docker):
    out = docker.out(*RUN, "-m", "64m", "--cpus", ".5", "bb", "cat", "/sys/fs/cgroup/memory/memory.limit_in_bytes",
                     "/sys/fs/cgroup/cpu/cpu.cfs_quota_us", "/sys/fs/cgroup/cpu/cpu.cfs_period_us")
    assert out.split() == [str(64 << 20), "50000", "100000"]


def test_out_of_memory_is_137_and_oomkilled(docker):
    name = docker.name()
    proc = docker("run", "--pull", "never", "--network", "none", "--name", name, "-m", "16m", "--memory-swap", "16m",
                  "bb", "sh", "-c", "x=a; while true; do x=$x$x; done", check=False)
    assert proc.returncode == 137
    assert docker.out("inspect", "-f", "{{.State.OOMKilled}} {{.State.ExitCode}}", name) == "true 137"


def test_pids_limit(docker):
    out = docker.out(*RUN, "--pids-limit", "10", "bb", "sh", "-c",
                     "cat /sys/fs/cgroup/pids/pids.max; for i in $(seq 20); do sleep 5 & done 2>&1 | tail -1; true")
    assert out.splitlines()[0] == "10"
    assert "can't fork" in out


def test_update_changes_a_running_containers_limits(docker):
    name = docker.name()
    docker("run", "-d", "--pull", "never", "--network", "none", "--name", name, "bb", "sleep", "1000")
    docker("update", "-m", "96m", "--memory-swap", "200m", "--cpus", ".25", "--pids-limit", "50", name)
    out = docker.out("exec", name, "cat", "/sys/fs/cgroup/memory/memory.limit_in_bytes",
                     "/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes",
                     "/sys/fs/cgroup/cpu/cpu.cfs_quota_us", "/sys/fs/cgroup/pids/pids.max")
    assert out.split() == [str(96 << 20), str(200 << 20), "25000", "50"]
