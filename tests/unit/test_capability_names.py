"""Capability names against the kernel's last capability (pure logic, no root): as
runc, a name newer than the kernel is left out (the caller warns), a name that is no
capability at all is refused."""
import pytest

from ociruntime.errors import RuntimeFailure
from ociruntime.spec.plan import cap_mask


def test_names_above_the_kernels_last_capability_are_left_out_and_named():
    # a kernel before 5.8 ends at CAP_AUDIT_READ (37): CAP_PERFMON, CAP_BPF are unknown to it
    mask, unavailable = cap_mask(["CAP_CHOWN", "CAP_PERFMON", "CAP_KILL", "CAP_BPF", "CAP_PERFMON"], "w", 37)
    assert mask == 1 << 0 | 1 << 5
    assert unavailable == ["CAP_PERFMON", "CAP_BPF"]


def test_every_name_the_kernel_has_is_kept():
    assert cap_mask(["CAP_BPF", "CAP_CHECKPOINT_RESTORE"], "w", 40) == (1 << 39 | 1 << 40, [])


@pytest.mark.parametrize("name", ["CAP_NOPE", "chown", ""])
def test_a_name_that_is_no_capability_is_refused(name):
    with pytest.raises(RuntimeFailure, match=f"config.json: process.capabilities.bounding: unknown capability {name!r}"):
        cap_mask(["CAP_CHOWN", name], "process.capabilities.bounding", 40)
