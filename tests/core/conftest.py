"""The core runtime tests: run a command in a busybox container and read what it
printed; every test's cgroup parents removed (and checked) afterwards."""
import pytest
from support import new_id


def run_in(runtime, bundle, *args, check=True):
    """`run` args in the bundle's container (foreground); the finished process."""
    bundle.set_args(*args)
    return runtime("run", "--bundle", bundle.path, new_id(), check=check)


def output_of(runtime, bundle, *args):
    return run_in(runtime, bundle, *args).stdout


@pytest.fixture(autouse=True)
def _cgroup_parents_removed(remove_test_cgroup_parents):
    pass
