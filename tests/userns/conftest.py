"""The user-namespace tests' fixtures."""
from security.containers import open_bundle  # noqa: F401 (a fixture)
