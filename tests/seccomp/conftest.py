"""The seccomp tests remove their cgroup parents, as the core tests do."""
import pytest


@pytest.fixture(autouse=True)
def _cgroup_parents_removed(remove_test_cgroup_parents):
    pass
