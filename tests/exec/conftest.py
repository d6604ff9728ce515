"""The exec tests' fixtures: a running busybox container."""
from security.containers import container, open_bundle  # noqa: F401 (fixtures)
