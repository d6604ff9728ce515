"""AppArmor profiles loaded for one test (on a host whose kernel has AppArmor on: the
VM's; this machine's has none), and removed after."""
import contextlib
import os
import shutil
import subprocess

import pytest


def enabled():
    try:
        with open("/sys/module/apparmor/parameters/enabled") as f:
            return f.read().strip() == "Y"
    except OSError:
        return False


@contextlib.contextmanager
def loaded_profiles(text, workdir, on_securityfs_change=None):
    """The profiles in `text` loaded (apparmor_parser -r), removed after; skips the test
    where AppArmor is off. The VM's init mounts no securityfs, which apparmor_parser needs:
    mounted here for the test then, and on_securityfs_change() called after each change."""
    if not enabled() or not shutil.which("apparmor_parser"):
        pytest.skip("AppArmor is not enabled here (or apparmor_parser is missing)")
    mounted = not os.path.isdir("/sys/kernel/security/apparmor")
    if mounted:
        subprocess.run(["mount", "-t", "securityfs", "securityfs", "/sys/kernel/security"], check=True)
        if on_securityfs_change:
            on_securityfs_change()
    path = os.path.join(workdir, "apparmor-profiles")
    with open(path, "w") as f:
        f.write(text)
    subprocess.run(["apparmor_parser", "-r", path], check=True, capture_output=True)
    try:
        yield
    finally:
        subprocess.run(["apparmor_parser", "-R", path], check=True, capture_output=True)
        if mounted:
            subprocess.run(["umount", "/sys/kernel/security"], check=True)
            if on_securityfs_change:
                on_securityfs_change()
