"""`features`: what this runtime supports, in the runtime-spec features.json shape."""
from .. import SPEC_VERSION, __version__, linux
from . import seccomp


def features():
    return {
        "ociVersionMin": "1.0.0",
        "ociVersionMax": SPEC_VERSION,
        "hooks": ["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"],
        "mountOptions": sorted(set(linux.MOUNT_FLAGS) | set(linux.PROPAGATION) | set(linux.RECURSIVE_MOUNT_ATTRS)),
        "linux": {
            "namespaces": sorted(linux.NAMESPACES),
            "capabilities": list(linux.CAPABILITIES),
            "cgroup": {"v1": True, "v2": True, "systemd": True, "systemdUser": False, "rdma": False},
            "seccomp": seccomp.features(),
            "apparmor": {"enabled": False},
            "selinux": {"enabled": False},
            "intelRdt": {"enabled": False},
            "mountExtensions": {"idmap": {"enabled": True}},
        },
        "annotations": {"io.github.ociruntime.version": __version__},
    }
