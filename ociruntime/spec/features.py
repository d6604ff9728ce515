"""`features`: what this runtime supports, in the runtime-spec features.json shape."""
from .. import SPEC_VERSION, __version__, linux
from ..errors import RuntimeFailure
from . import seccomp


def features(criu="criu"):
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
            "apparmor": {"enabled": True},
            "selinux": {"enabled": False},
            "intelRdt": {"enabled": False},
            "mountExtensions": {"idmap": {"enabled": True}},
        },
        "annotations": {"io.github.ociruntime.version": __version__, **checkpoint_features(criu)},
    }


def checkpoint_features(criu):
    """checkpoint/restore: the CRIU the global --criu flag names, its version and what
    this kernel lets it do (asked over its RPC), as annotations (the spec has no field)."""
    from ..criu import swrk
    prefix = "io.github.ociruntime.checkpoint"
    try:
        path = swrk.find_criu(criu)
        major, minor, sub = swrk.version(path)
        have = swrk.features(path, ["mem_track", "lazy_pages"])
    except RuntimeFailure as e:
        return {prefix: "unavailable", f"{prefix}.reason": str(e)}
    return {prefix: "criu", f"{prefix}.criu": path, f"{prefix}.criuVersion": f"{major}.{minor}.{sub}",
            f"{prefix}.preDump": str("mem_track" in have).lower(), f"{prefix}.lazyPages": str("lazy_pages" in have).lower()}
