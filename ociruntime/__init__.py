"""ociruntime: a runc-compatible OCI container runtime, and its Python API.

    >>> import ociruntime
    >>> rt = ociruntime.Runtime()                 # containers under /run/ociruntime
    >>> with rt.create("demo", "/path/to/bundle") as c:   # doctest: +SKIP
    ...     c.start()
    ...     c.wait()
    0

`Runtime`, `Container` and `run` (ociruntime.api) and the errors (ociruntime.errors)
are loaded on first use: the `ociruntime` command imports this package on every call
and pays only for what the call needs.
"""
__version__ = "0.1.0"
SPEC_VERSION = "1.2.0"
DEFAULT_ROOT = "/run/ociruntime"  # --root: one directory per container

__all__ = ["Runtime", "Container", "run", "RuntimeFailure", "InvalidArgument", "NotFound", "AlreadyExists",
           "StateDamaged", "WrongState", "ConfigError", "CgroupError", "NetworkError", "SpawnError",
           "HookError", "DEFAULT_ROOT", "SPEC_VERSION", "__version__"]
_API = ("Runtime", "Container", "run")

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .api import Container, Runtime, run
    from .errors import (AlreadyExists, CgroupError, ConfigError, HookError, InvalidArgument, NetworkError,
                         NotFound, RuntimeFailure, SpawnError, StateDamaged, WrongState)


def __getattr__(name):
    if name in _API:
        from . import api
        return getattr(api, name)
    if name in __all__:
        from . import errors
        return getattr(errors, name)
    raise AttributeError(f"module 'ociruntime' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
