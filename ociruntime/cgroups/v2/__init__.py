"""The cgroup v2 driver (unified hosts): one directory, one module per controller."""
