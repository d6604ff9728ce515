"""The seccomp tests reuse the core tests' helpers: what a failed command may leave
behind, and the removal of the test cgroup parents."""
from core.conftest import _remove_test_cgroup_parents, leftovers, new_id  # noqa: F401 (fixture, helpers)
