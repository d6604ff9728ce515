"""The cgroup v1 driver (legacy and hybrid hosts): one directory per hierarchy, one module per controller."""
