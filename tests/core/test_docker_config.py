"""The config.json Docker 20.10 really passes, adapted only where it names this
machine: the rootfs, the bind sources, the cgroup, the prestart hook (a dockerd pid)."""
import json
import os

from support import SAMPLES

from support import status_fields

from .conftest import run_in

SAMPLE = os.path.join(SAMPLES, "config.json")


def docker_config(bundle, tmp_path, seccomp_enabled):
    with open(SAMPLE) as f:
        config = json.load(f)
    config["root"]["path"] = bundle.rootfs
    for m in config["mounts"]:
        if m["type"] == "bind":
            src = tmp_path / m["destination"].rsplit("/", 1)[1]
            src.write_text(f"docker's {src.name}\n")
            m["source"] = str(src)
    config["linux"]["cgroupsPath"] = bundle.config["linux"]["cgroupsPath"]
    del config["hooks"]["prestart"]
    if not seccomp_enabled:
        del config["linux"]["seccomp"]
    return config


def test_dockers_config_runs_a_container(runtime, bundle, tmp_path):
    seccomp = json.loads(runtime("features").stdout)["linux"]["seccomp"]["enabled"]
    bundle.config = docker_config(bundle, tmp_path, seccomp)
    bundle.set_args("/bin/sh", "-c", "hostname; cat /etc/hostname /etc/hosts; "
                    "cat /proc/sys/net/ipv4/ip_unprivileged_port_start; cat /proc/self/status")
    res = run_in(runtime, bundle, *bundle.config["process"]["args"])
    lines = res.stdout.splitlines()
    assert lines[:4] == ["439b558f1551", "docker's hostname", "docker's hosts", "0"]
    status = status_fields("\n".join(lines[4:]))
    assert status["CapBnd"] == status["CapEff"] == "00000000a80425fb"  # Docker's default 14 caps
    assert status["Seccomp"] == ("2" if seccomp else "0")
    assert not runtime.log_lines() or all(line["level"] != "error" for line in runtime.log_lines())
