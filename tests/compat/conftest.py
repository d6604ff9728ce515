"""Behaviour runc 1.1 and crun 1.8 have (issue 16), on real containers: every test's
cgroup parents removed (and checked) afterwards."""
import pytest


@pytest.fixture(autouse=True)
def _cgroup_parents_removed(remove_test_cgroup_parents):
    pass
