"""linux.seccomp -> libseccomp values and rules (runc's choices), compiled to BPF by the
C core: no filter is loaded here."""
import pytest

from ociruntime.errors import ConfigError
from ociruntime.spec import seccomp
from ociruntime.spec.plan import Plan

ERRNO, ALLOW = seccomp.ACTIONS["SCMP_ACT_ERRNO"], seccomp.ACTIONS["SCMP_ACT_ALLOW"]


def test_actions_carry_errno():
    assert seccomp._action("SCMP_ACT_ERRNO", None, "x") == ERRNO | 1
    assert seccomp._action("SCMP_ACT_ERRNO", 38, "x") == ERRNO | 38
    assert seccomp._action("SCMP_ACT_ALLOW", 5, "x") == ALLOW


def test_rules_drop_the_default_action_and_split_a_repeated_index():
    profile = {"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
        {"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"},
        {"names": ["mkdir"], "action": "SCMP_ACT_ERRNO"},
        {"names": ["personality"], "action": "SCMP_ACT_ALLOW",
         "args": [{"index": 0, "value": 0, "op": "SCMP_CMP_EQ"}, {"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]}]}
    rules = seccomp._rules(profile, seccomp._action("SCMP_ACT_ERRNO", None, "d"))
    assert rules == [("read", ALLOW, []), ("write", ALLOW, []),
                     ("personality", ALLOW, [(0, 0, 0, 4)]), ("personality", ALLOW, [(0, 8, 0, 4)])]


@pytest.mark.parametrize("profile, field", [
    ({"defaultAction": "SCMP_ACT_NOPE"}, "linux.seccomp.defaultAction"),
    ({"defaultAction": "SCMP_ACT_NOTIFY"}, "linux.seccomp.defaultAction"),
    ({"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_NOPE"]}, "linux.seccomp.flags[0]"),
    ({"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_VAX"]}, "linux.seccomp.architectures[0]"),
    ({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_KILL",
                                                        "args": [{"index": 6, "value": 0, "op": "SCMP_CMP_EQ"}]}]},
     "linux.seccomp.syscalls[0].args[0].index"),
    ({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["sendmsg"], "action": "SCMP_ACT_NOTIFY"}]},
     "linux.seccomp.syscalls[0]"),
    ({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_NOTIFY"}]},
     "linux.seccomp.listenerPath"),
])
def test_refusals_name_the_field(profile, field):
    with pytest.raises(ConfigError) as caught:
        seccomp.set_seccomp(Plan(), profile)
    assert caught.value.field == field


def test_a_profile_compiles_to_bpf(tmp_path, monkeypatch):
    monkeypatch.setattr(seccomp, "CACHE_DIR", str(tmp_path / "cache"))
    p = Plan()
    seccomp.set_seccomp(p, {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"],
                            "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO"}]})
    sc = p.c.seccomp[0]
    assert sc.bpf_len > 0 and sc.bpf_len % 8 == 0 and sc.n_rules == 1 and not sc.notify
    assert len(list((tmp_path / "cache").iterdir())) == 1  # compiled once, then read from the cache
