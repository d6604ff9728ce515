"""Every test package's fixtures come from one plugin, tests/support/ (helpers:
`from support import ...`)."""
pytest_plugins = ["support.plugin", "support.network_world"]
