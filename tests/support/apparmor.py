"""AppArmor profiles loaded for one test (on a host whose kernel has AppArmor on: the
VM's; this machine's has none), and removed after."""
import contextlib
import os
import shutil
import subprocess

import pytest
from ociruntime.spec.plan import apparmor_enabled


@contextlib.contextmanager
def mounted_securityfs(on_change=None):
    """securityfs at /sys/kernel/security for the block, as a standard host has it (the
    VM's init and its systemd leave it out): AppArmor's files, which apparmor_parser, Docker
    and podman look for. Unmounted after if it was mounted here; on_change() after each change."""
    mount = not os.listdir("/sys/kernel/security")
    if mount:
        subprocess.run(["mount", "-t", "securityfs", "securityfs", "/sys/kernel/security"], check=True)
        if on_change:
            on_change()
    try:
        yield
    finally:
        if mount:
            subprocess.run(["umount", "/sys/kernel/security"], check=True)
            if on_change:
                on_change()


@contextlib.contextmanager
def loaded_profiles(text, workdir, on_securityfs_change=None):
    """The profiles in `text` loaded (apparmor_parser -r), removed after; skips the test
    where AppArmor is off."""
    if not apparmor_enabled() or not shutil.which("apparmor_parser"):
        pytest.skip("AppArmor is not enabled here (or apparmor_parser is missing)")
    path = os.path.join(workdir, "apparmor-profiles")
    with open(path, "w") as f:
        f.write(text)
    with mounted_securityfs(on_securityfs_change):
        subprocess.run(["apparmor_parser", "-r", path], check=True, capture_output=True)
        try:
            yield
        finally:
            subprocess.run(["apparmor_parser", "-R", path], check=True, capture_output=True)
