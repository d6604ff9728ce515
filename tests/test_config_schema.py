"""The generated validator must agree with jsonschema (the oracle) and name the bad field;
load_config must turn every bad bundle into one clear line."""
import copy
import json
import os
import shutil
import subprocess
import sys

import jsonschema
import pytest
from support import SAMPLES

from ociruntime.spec.config import _validator as validator_module, load_config
from ociruntime.errors import RuntimeFailure
from ociruntime.codegen.schema import SchemaError, module_source, validator_source

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SPEC = os.path.join(REPO, "spec")
DOCKER_CONFIG = os.path.join(SAMPLES, "config.json")


def _schema(name):
    with open(os.path.join(SPEC, name)) as f:
        return json.load(f)


# The built ociruntime/spec/_validator.py (git-ignored), or in an unbuilt checkout the same code compiled in memory.
_validator = validator_module()
CONFIG_ORACLE = jsonschema.Draft7Validator(_schema("config-schema.json"))
STATE_ORACLE = jsonschema.Draft7Validator(_schema("state-schema.json"))
FEATURES_ORACLE = jsonschema.Draft7Validator(_schema("features-schema.json"))


def docker_config():
    with open(DOCKER_CONFIG) as f:
        return json.load(f)


def runc_spec_config():
    """What `runc spec` writes (runc 1.1 libcontainer/specconv example)."""
    caps = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
    return {
        "ociVersion": "1.0.2-dev",
        "process": {
            "terminal": True,
            "user": {"uid": 0, "gid": 0},
            "args": ["sh"],
            "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"],
            "cwd": "/",
            "capabilities": {k: list(caps) for k in ("bounding", "effective", "permitted", "ambient")},
            "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
            "noNewPrivileges": True,
        },
        "root": {"path": "rootfs", "readonly": True},
        "hostname": "runc",
        "mounts": [
            {"destination": "/proc", "type": "proc", "source": "proc"},
            {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
             "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
            {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
             "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]},
            {"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
             "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
            {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue", "options": ["nosuid", "noexec", "nodev"]},
            {"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", "ro"]},
            {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
             "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]},
        ],
        "linux": {
            "resources": {"devices": [{"allow": False, "access": "rwm"}]},
            "namespaces": [{"type": t} for t in ("pid", "network", "ipc", "uts", "mount", "cgroup")],
            "maskedPaths": ["/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
                            "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi"],
            "readonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"],
        },
    }


def full_config():
    """A valid config that sets every field the schema knows, so mutations reach all of it."""
    def hook():
        return {"path": "/usr/bin/hook", "args": ["hook", "x"], "env": ["A=1"], "timeout": 5}

    def idmap():
        return {"containerID": 0, "hostID": 100000, "size": 65536}

    def dev(**more):
        return dict({"major": 8, "minor": 0}, **more)

    return {
        "ociVersion": "1.2.0",
        "hooks": {kind: [hook()] for kind in ("prestart", "createRuntime", "createContainer",
                                            "startContainer", "poststart", "poststop")},
        "annotations": {"org.example.key": "value"},
        "hostname": "box",
        "domainname": "example.org",
        "root": {"path": "rootfs", "readonly": False},
        "mounts": [{"destination": "/data", "type": "bind", "source": "/srv", "options": ["rbind", "idmap"],
                    "uidMappings": [idmap()], "gidMappings": [idmap()]}],
        "process": {
            "terminal": False,
            "consoleSize": {"height": 25, "width": 80},
            "user": {"uid": 1, "gid": 1, "umask": 18, "additionalGids": [5, 6], "username": "daemon"},
            "args": ["sleep", "1"],
            "commandLine": "sleep 1",
            "env": ["PATH=/bin"],
            "cwd": "/",
            "capabilities": {k: ["CAP_KILL"] for k in ("bounding", "permitted", "effective", "inheritable", "ambient")},
            "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 512}],
            "apparmorProfile": "docker-default",
            "selinuxLabel": "system_u:system_r:container_t:s0",
            "oomScoreAdj": 100,
            "noNewPrivileges": True,
            "ioPriority": {"class": "IOPRIO_CLASS_BE", "priority": 4},
            "scheduler": {"policy": "SCHED_DEADLINE", "nice": 0, "priority": 0, "flags": ["SCHED_FLAG_RECLAIM"],
                          "runtime": 100, "deadline": 200, "period": 300},
            "execCPUAffinity": {"initial": "0", "final": "0-1, 3"},
        },
        "linux": {
            "devices": [{"type": "c", "path": "/dev/fuse", "major": 10, "minor": 229, "fileMode": 438,
                         "uid": 0, "gid": 0}],
            "netDevices": {"eth1": {"name": "ctr1"}},
            "uidMappings": [idmap()],
            "gidMappings": [idmap()],
            "namespaces": [{"type": "pid"}, {"type": "time"}, {"type": "network", "path": "/run/netns/x"}],
            "timeOffsets": {"boottime": {"secs": -5, "nanosecs": 10}, "monotonic": {"secs": 7, "nanosecs": 0}},
            "resources": {
                "devices": [{"allow": False, "access": "rwm"}, {"allow": True, "type": "c", "major": 1,
                                                                "minor": 3, "access": "rw"}],
                "memory": {"limit": 536870912, "reservation": 1, "swap": -1, "kernel": -1, "kernelTCP": -1,
                           "swappiness": 60, "disableOOMKiller": False, "useHierarchy": True,
                           "checkBeforeUpdate": True},
                "cpu": {"shares": 1024, "quota": 100000, "burst": 0, "period": 100000, "realtimeRuntime": 0,
                        "realtimePeriod": 0, "cpus": "0-1", "mems": "0", "idle": 0},
                "blockIO": {"weight": 500, "leafWeight": 300,
                            "weightDevice": [dev(weight=500, leafWeight=300)],
                            "throttleReadBpsDevice": [dev(rate=1048576)],
                            "throttleWriteBpsDevice": [dev(rate=1048576)],
                            "throttleReadIOPSDevice": [dev(rate=100)],
                            "throttleWriteIOPSDevice": [dev(rate=100)]},
                "hugepageLimits": [{"pageSize": "2MB", "limit": 0}],
                "network": {"classID": 1048577, "priorities": [{"name": "eth0", "priority": 5}]},
                "pids": {"limit": 32},
                "rdma": {"mlx5_1": {"hcaHandles": 3, "hcaObjects": 10000}},
                "unified": {"memory.high": "1G"},
            },
            "cgroupsPath": "/oci-test/box",
            "rootfsPropagation": "slave",
            "seccomp": {
                "defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1,
                "architectures": ["SCMP_ARCH_X86_64"], "flags": ["SECCOMP_FILTER_FLAG_LOG"],
                "listenerPath": "/run/seccomp.sock", "listenerMetadata": "meta",
                "syscalls": [{"names": ["personality"], "action": "SCMP_ACT_ALLOW", "errnoRet": 1,
                              "args": [{"index": 0, "value": 8, "valueTwo": 0, "op": "SCMP_CMP_EQ"}]}],
            },
            "sysctl": {"net.ipv4.ip_forward": "1"},
            "maskedPaths": ["/proc/kcore"],
            "readonlyPaths": ["/proc/sys"],
            "mountLabel": "system_u:object_r:container_file_t:s0",
            "intelRdt": {"closID": "guaranteed", "l3CacheSchema": "L3:0=7f0", "memBwSchema": "MB:0=20",
                         "schemata": ["L2:0=ff"], "enableMonitoring": True, "enableCMT": True, "enableMBM": True},
            "personality": {"domain": "LINUX32", "flags": []},
            "memoryPolicy": {"mode": "MPOL_INTERLEAVE", "nodes": "0-1", "flags": ["MPOL_F_STATIC_NODES"]},
        },
    }


SAMPLES = {"docker": docker_config, "runc-spec": runc_spec_config, "full": full_config}


def render(path):
    """Our message's path notation for a tuple of keys and indexes."""
    text = ""
    for key in path:
        if isinstance(key, int):
            text += f"[{key}]"
        elif key.isidentifier():
            text += f".{key}" if text else key
        else:
            text += f"[{json.dumps(key)}]"
    return text


def our_error(validate, doc):
    """None if our validator accepts `doc`, else (path, message)."""
    try:
        validate(doc)
    except ValueError as error:
        assert "\n" not in str(error)
        return error.args
    return None


def get(doc, path):
    for key in path:
        doc = doc[key]
    return doc


def node_paths(doc, path=()):
    """Every node's path; arrays contribute their first two items (the rest repeat the schema)."""
    yield path
    if isinstance(doc, dict):
        for key, value in doc.items():
            yield from node_paths(value, path + (key,))
    elif isinstance(doc, list):
        for index, value in enumerate(doc[:2]):
            yield from node_paths(value, path + (index,))


def assert_agrees(doc, expected_path, validate=_validator.validate_config, oracle=CONFIG_ORACLE, inside=False):
    """Accept/reject must match the oracle; a rejection must name `expected_path` (or, if
    `inside`, a field within it: a replaced object can lack a required field)."""
    ours = our_error(validate, doc)
    assert (ours is None) == oracle.is_valid(doc), (expected_path, ours, [e.message for e in oracle.iter_errors(doc)])
    if ours is not None:
        expected = render(expected_path)
        assert ours[0] == expected or (inside and ours[0].startswith((expected + ".", expected + "["))), ours
    return ours


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_samples_are_valid(name):
    doc = SAMPLES[name]()
    assert CONFIG_ORACLE.is_valid(doc)
    assert _validator.validate_config(doc) is None


PROBES = [None, True, -1, 1.5, 2 ** 64, "", "x", [], {}, [1], {"x": 1}]


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_replacing_any_node_agrees_with_jsonschema(name):
    base = SAMPLES[name]()
    rejected = 0
    for path in list(node_paths(base))[1:]:
        for probe in PROBES:
            doc = copy.deepcopy(base)
            get(doc, path[:-1])[path[-1]] = probe
            rejected += assert_agrees(doc, path, inside=True) is not None
    assert rejected > 100


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_deleting_any_field_agrees_with_jsonschema(name):
    base = SAMPLES[name]()
    for path in node_paths(base):
        if isinstance(get(base, path), dict):
            for key in get(base, path):
                doc = copy.deepcopy(base)
                del get(doc, path)[key]
                assert_agrees(doc, path + (key,))


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_adding_a_field_anywhere_agrees_with_jsonschema(name):
    base = SAMPLES[name]()
    for path in node_paths(base):
        if isinstance(get(base, path), dict):
            doc = copy.deepcopy(base)
            get(doc, path)["zz.extra"] = 1
            assert_agrees(doc, path + ("zz.extra",))


# (path in full_config(), bad value, words the message must contain)
MUTATIONS = [
    (("ociVersion",), "1.0", "does not match"),
    (("ociVersion",), 1, "expected string, got 1"),
    (("process", "cwd"), ["/"], "expected string, got an array"),
    (("process", "user", "uid"), -1, "-1 is less than the minimum 0"),
    (("process", "user", "gid"), 2 ** 32, "greater than the maximum 4294967295"),
    (("process", "user", "additionalGids", 1), "5", 'expected integer, got "5"'),
    (("process", "terminal"), "yes", 'expected boolean, got "yes"'),
    (("process", "rlimits", 0, "type"), "NOFILE", '"NOFILE" does not match ^RLIMIT_[A-Z]+$'),
    (("process", "rlimits", 0, "soft"), 1.5, "expected integer, got 1.5"),
    (("process", "ioPriority", "class"), "IOPRIO_CLASS_NONE", "is not one of IOPRIO_CLASS_RT"),
    (("process", "ioPriority", "priority"), 2 ** 31, "greater than the maximum 2147483647"),
    (("process", "scheduler", "policy"), "SCHED_FAST", "is not one of SCHED_OTHER"),
    (("process", "scheduler", "flags", 0), "SCHED_FLAG_X", "is not one of"),
    (("process", "consoleSize", "height"), -3, "less than the minimum 0"),
    (("process", "execCPUAffinity", "final"), "0-1;3", "does not match"),
    (("process", "oomScoreAdj"), "100", "expected integer"),
    (("process", "noNewPrivileges"), 1, "expected boolean, got 1"),
    (("hooks", "prestart", 0, "timeout"), 0, "0 is less than the minimum 1"),
    (("hooks", "poststop", 0, "args"), "hook x", "expected array"),
    (("hooks", "createRuntime"), {"path": "/x"}, "expected array, got an object"),
    (("annotations", "org.example.key"), 7, "expected string, got 7"),
    (("mounts", 0, "uidMappings", 0, "size"), -1, "less than the minimum 0"),
    (("mounts", 0, "options"), "rbind", "expected array"),
    (("linux", "namespaces", 1, "type"), "foo", '"foo" is not one of mount, pid, network, uts, ipc, user, cgroup, time'),
    (("linux", "namespaces", 1), "pid", 'expected object, got "pid"'),
    (("linux", "uidMappings", 0, "hostID"), "100000", "expected integer"),
    (("linux", "timeOffsets", "boottime", "nanosecs"), -1, "less than the minimum 0"),
    (("linux", "devices", 0, "type"), "x", 'does not match ^[cbup]$'),
    (("linux", "devices", 0, "fileMode"), 0o1777, "greater than the maximum 512"),
    (("linux", "resources", "memory", "limit"), 2 ** 63, "greater than the maximum 9223372036854775807"),
    (("linux", "resources", "memory", "swappiness"), -1, "less than the minimum 0"),
    (("linux", "resources", "cpu", "shares"), "1024", "expected integer"),
    (("linux", "resources", "blockIO", "weight"), 70000, "greater than the maximum 65535"),
    (("linux", "resources", "blockIO", "weightDevice", 0, "weight"), -5, "less than the minimum 0"),
    (("linux", "resources", "blockIO", "throttleReadBpsDevice", 0, "rate"), -1, "less than the minimum 0"),
    (("linux", "resources", "hugepageLimits", 0, "pageSize"), "2M", "does not match"),
    (("linux", "resources", "pids", "limit"), None, "expected integer, got null"),
    (("linux", "resources", "network", "priorities", 0, "priority"), -1, "less than the minimum 0"),
    (("linux", "resources", "rdma", "mlx5_1", "hcaHandles"), -1, "less than the minimum 0"),
    (("linux", "resources", "rdma", "mlx5_2"), 5, "expected object, got 5"),
    (("linux", "resources", "unified", "cpu.max"), 5, "expected string, got 5"),
    (("linux", "netDevices", "eth2"), "ctr2", 'expected object, got "ctr2"'),
    (("linux", "netDevices", "eth1", "name"), 1, "expected string"),
    (("linux", "rootfsPropagation"), "recursive", "is not one of private, shared, slave, unbindable, rprivate"),
    (("linux", "seccomp", "defaultAction"), "ALLOW", "is not one of SCMP_ACT_KILL"),
    (("linux", "seccomp", "defaultErrnoRet"), -1, "less than the minimum 0"),
    (("linux", "seccomp", "architectures", 0), "x86_64", "is not one of SCMP_ARCH_X86"),
    (("linux", "seccomp", "flags", 0), "SECCOMP_FILTER_FLAG_NOPE", "is not one of"),
    (("linux", "seccomp", "syscalls", 0, "names"), [], "has 0 item(s), needs at least 1"),
    (("linux", "seccomp", "syscalls", 0, "action"), "SCMP_ACT_NOPE", "is not one of"),
    (("linux", "seccomp", "syscalls", 0, "args", 0, "op"), "SCMP_CMP_XX", "is not one of SCMP_CMP_NE"),
    (("linux", "seccomp", "syscalls", 0, "args", 0, "index"), -1, "less than the minimum 0"),
    (("linux", "seccomp", "syscalls", 0, "args", 0, "valueTwo"), 2 ** 64, "greater than the maximum"),
    (("linux", "sysctl", "net.ipv4.ip_forward"), 1, "expected string, got 1"),
    (("linux", "maskedPaths", 0), None, "expected string, got null"),
    (("linux", "intelRdt", "memBwSchema"), "L3:0=1", "does not match ^MB:"),
    (("linux", "personality", "domain"), "LINUX64", "is not one of LINUX, LINUX32"),
    (("linux", "memoryPolicy", "mode"), "MPOL_ANY", "is not one of MPOL_DEFAULT"),
    (("linux", "memoryPolicy", "flags", 0), "MPOL_F_X", "is not one of"),
]


@pytest.mark.parametrize("path,value,words", MUTATIONS, ids=[render(m[0]) for m in MUTATIONS])
def test_mutation_is_rejected_naming_the_field(path, value, words):
    doc = full_config()
    get(doc, path[:-1])[path[-1]] = value
    assert not CONFIG_ORACLE.is_valid(doc)
    path_text, message = assert_agrees(doc, path)
    assert words in message


REQUIRED = [
    ("ociVersion",), ("root", "path"), ("process", "cwd"), ("process", "rlimits", 0, "type"),
    ("process", "rlimits", 0, "soft"), ("process", "rlimits", 0, "hard"), ("process", "consoleSize", "width"),
    ("process", "ioPriority", "class"), ("process", "scheduler", "policy"), ("hooks", "poststart", 0, "path"),
    ("mounts", 0, "destination"), ("mounts", 0, "gidMappings", 0, "containerID"), ("linux", "devices", 0, "type"),
    ("linux", "devices", 0, "path"), ("linux", "resources", "devices", 0, "allow"), ("linux", "resources", "pids", "limit"),
    ("linux", "resources", "hugepageLimits", 0, "pageSize"), ("linux", "resources", "blockIO", "weightDevice", 0, "major"),
    ("linux", "resources", "blockIO", "throttleWriteIOPSDevice", 0, "minor"),
    ("linux", "resources", "network", "priorities", 0, "name"), ("linux", "namespaces", 0, "type"),
    ("linux", "seccomp", "defaultAction"), ("linux", "seccomp", "syscalls", 0, "names"),
    ("linux", "seccomp", "syscalls", 0, "args", 0, "op"), ("linux", "memoryPolicy", "mode"),
]


@pytest.mark.parametrize("path", REQUIRED, ids=[render(p) for p in REQUIRED])
def test_missing_required_field_is_named(path):
    doc = full_config()
    del get(doc, path[:-1])[path[-1]]
    assert not CONFIG_ORACLE.is_valid(doc)
    assert assert_agrees(doc, path)[1] == "required field is missing"


def test_unknown_fields_are_ignored_as_the_spec_requires():
    doc = full_config()
    doc["process"]["futureField"] = {"anything": [1]}
    doc["linux"]["seccomp"]["syscalls"][0]["comment"] = 5
    assert assert_agrees(doc, ()) is None


def test_non_object_document_is_rejected_at_the_root():
    assert assert_agrees([], ()) == ("", "expected object, got an array")


def test_state_documents():
    good = {"ociVersion": "1.2.0", "id": "c1", "status": "paused", "pid": 42, "bundle": "/b",
            "annotations": {"a": "b"}}
    assert_agrees(good, (), _validator.validate_state, STATE_ORACLE)
    for path, value in [(("status",), "exited"), (("pid",), -1), (("id",), ""), (("bundle",), None),
                        (("annotations", "a"), 1), (("ociVersion",), "one")]:
        doc = copy.deepcopy(good)
        get(doc, path[:-1])[path[-1]] = value
        assert assert_agrees(doc, path, _validator.validate_state, STATE_ORACLE) is not None
    for key in ("ociVersion", "id", "status", "bundle"):
        doc = copy.deepcopy(good)
        del doc[key]
        assert assert_agrees(doc, (key,), _validator.validate_state, STATE_ORACLE) is not None


def test_features_documents():
    good = {"ociVersionMin": "1.0.0", "ociVersionMax": "1.2.0", "hooks": ["prestart"], "mountOptions": ["ro"],
            "linux": {"namespaces": ["pid", "time"], "capabilities": ["CAP_KILL"],
                      "cgroup": {"v1": True, "v2": True, "systemd": False},
                      "seccomp": {"enabled": True, "actions": ["SCMP_ACT_LOG"], "operators": ["SCMP_CMP_EQ"],
                                  "archs": ["SCMP_ARCH_X86_64"], "knownFlags": ["SECCOMP_FILTER_FLAG_TSYNC"],
                                  "supportedFlags": []},
                      "apparmor": {"enabled": False}, "intelRdt": {"enabled": False},
                      "mountExtensions": {"idmap": {"enabled": True}}}}
    assert_agrees(good, (), _validator.validate_features, FEATURES_ORACLE)
    for path, value, named in [(("linux", "namespaces", 1), "pid", ("linux", "namespaces")),  # uniqueItems
                               (("linux", "capabilities", 0), "KILL", ("linux", "capabilities", 0)),
                               (("linux", "seccomp", "archs", 0), "amd64", ("linux", "seccomp", "archs", 0)),
                               (("linux", "cgroup", "v2"), "yes", ("linux", "cgroup", "v2"))]:
        doc = copy.deepcopy(good)
        get(doc, path[:-1])[path[-1]] = value
        assert assert_agrees(doc, named, _validator.validate_features, FEATURES_ORACLE) is not None


# --- the code generator on its own: every supported keyword against jsonschema ---

KEYWORD_SCHEMA = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "required": ["kind"],
    "minProperties": 1,
    "additionalProperties": False,
    "patternProperties": {"^x-": {"type": ["string", "null"], "minLength": 2}},
    "properties": {
        "kind": {"const": "thing"},
        "level": {"enum": ["low", 3, None, True]},
        "size": {"oneOf": [{"$ref": "#/definitions/small"}, {"type": "string", "pattern": "^[0-9]+k$"}]},
        "either": {"anyOf": [{"type": "integer", "maximum": 0}, {"type": "integer", "minimum": 10}]},
        "both": {"allOf": [{"type": "number", "minimum": 0}, {"maximum": 10}]},
        "tags": {"type": "array", "items": {"type": "string"}, "uniqueItems": True, "minItems": 1, "maxItems": 3},
        "mixed": {"type": "array", "uniqueItems": True},
        "open": {"type": "object", "additionalProperties": {"type": "boolean"}},
        "short": {"type": "string", "maxLength": 3},
        "untyped": {"minimum": 5, "minLength": 2, "required": ["a"], "items": {"type": "null"}},
    },
    "definitions": {"small": {"type": "integer", "minimum": 0, "maximum": 9}},
}

KEYWORD_INSTANCES = [
    {"kind": "thing"}, {}, [], {"kind": "other"}, {"kind": "thing", "extra": 1},
    {"kind": "thing", "x-a": "ok"}, {"kind": "thing", "x-a": "o"}, {"kind": "thing", "x-a": None}, {"kind": "thing", "x-a": 1},
    {"kind": "thing", "level": "low"}, {"kind": "thing", "level": 3.0}, {"kind": "thing", "level": 1},
    {"kind": "thing", "level": None}, {"kind": "thing", "level": True}, {"kind": "thing", "level": False},
    {"kind": "thing", "size": 5}, {"kind": "thing", "size": 12}, {"kind": "thing", "size": "12k"},
    {"kind": "thing", "size": "12"}, {"kind": "thing", "size": 5.0}, {"kind": "thing", "size": True},
    {"kind": "thing", "either": -3}, {"kind": "thing", "either": 5}, {"kind": "thing", "either": 11},
    {"kind": "thing", "either": "a"}, {"kind": "thing", "both": 5.5}, {"kind": "thing", "both": 11},
    {"kind": "thing", "both": -1}, {"kind": "thing", "tags": ["a", "b"]}, {"kind": "thing", "tags": ["a", "a"]},
    {"kind": "thing", "tags": []}, {"kind": "thing", "tags": ["a", "b", "c", "d"]}, {"kind": "thing", "tags": [1]},
    {"kind": "thing", "mixed": [1, 1.0]}, {"kind": "thing", "mixed": [1, True]}, {"kind": "thing", "mixed": [{"a": [1]}, {"a": [1]}]},
    {"kind": "thing", "mixed": [{"a": 1}, {"a": 2}]}, {"kind": "thing", "open": {"a": True}},
    {"kind": "thing", "open": {"a": 1}}, {"kind": "thing", "short": "abc"}, {"kind": "thing", "short": "abcd"},
    {"kind": "thing", "untyped": 4}, {"kind": "thing", "untyped": 5}, {"kind": "thing", "untyped": "a"},
    {"kind": "thing", "untyped": {}}, {"kind": "thing", "untyped": {"a": 1}}, {"kind": "thing", "untyped": [None, 1]},
    {"kind": "thing", "untyped": True}, {"kind": "thing", "untyped": None},
]


def _compiled(schema):
    namespace = {}
    exec(module_source([("test-schema.json", schema, "validate")]), namespace)
    return namespace["validate"]


@pytest.mark.parametrize("instance", KEYWORD_INSTANCES, ids=[json.dumps(i) for i in KEYWORD_INSTANCES])
def test_each_keyword_agrees_with_jsonschema(instance):
    oracle = jsonschema.Draft7Validator(KEYWORD_SCHEMA)
    ours = our_error(_compiled(KEYWORD_SCHEMA), instance)
    assert (ours is None) == oracle.is_valid(instance), (ours, [e.message for e in oracle.iter_errors(instance)])


def test_alternatives_report_merged_types_or_the_deepest_failure():
    validate = _compiled({"type": "object", "properties": {
        "a": {"oneOf": [{"type": "string"}, {"type": "null"}]},
        "b": {"anyOf": [{"type": "integer"}, {"type": "object", "properties": {"c": {"type": "boolean"}}}]}}})
    assert our_error(validate, {"a": 1}) == ("a", "expected string or null, got 1")
    assert our_error(validate, {"b": {"c": 1}}) == ("b.c", "expected boolean, got 1")
    ambiguous = _compiled({"oneOf": [{"type": "integer"}, {"minimum": 0}]})
    assert our_error(ambiguous, 3) == ("", "matches more than one of the allowed forms")


@pytest.mark.parametrize("schema", [
    {"not": {"type": "string"}},
    {"$ref": "other.json#/definitions/x"},
    {"$ref": "#/definitions/missing"},
    {"items": [{"type": "string"}]},
    {"definitions": {"a": {"type": "string"}}, "properties": {"b": {"$ref": "#/definitions/a", "minLength": 1}}},
])
def test_schemas_it_cannot_honour_are_build_errors(schema):
    with pytest.raises(SchemaError):
        module_source([("test-schema.json", schema, "validate")])


def test_built_module_matches_the_schemas_in_spec():
    if not hasattr(_validator, "__file__"):
        pytest.skip("ociruntime/spec/_validator.py is not built; the tests ran against the in-memory compile")
    with open(_validator.__file__) as f:
        assert f.read() == validator_source(SPEC), "regenerate: python -m ociruntime.codegen.schema"


# --- load_config ---

def write_bundle(tmp_path, content):
    (tmp_path / "config.json").write_bytes(content if isinstance(content, bytes) else content.encode())
    return str(tmp_path)


def load_error(bundle):
    with pytest.raises(RuntimeFailure) as caught:
        load_config(bundle)
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_load_config_returns_the_docker_config(tmp_path):
    shutil.copy(DOCKER_CONFIG, tmp_path / "config.json")
    assert load_config(str(tmp_path)) == docker_config()


def test_missing_bundle(tmp_path):
    assert load_error(str(tmp_path / "nope")) == f"bundle {tmp_path / 'nope'}: no such directory"


def test_bundle_that_is_a_file(tmp_path):
    (tmp_path / "file").write_text("{}")
    assert load_error(str(tmp_path / "file")) == f"bundle {tmp_path / 'file'}: not a directory"


def test_missing_config_json(tmp_path):
    assert load_error(str(tmp_path)) == f"{tmp_path / 'config.json'}: not found (a bundle needs a config.json)"


def test_unreadable_config_json(tmp_path):
    (tmp_path / "config.json").mkdir()
    assert load_error(str(tmp_path)) == f"{tmp_path / 'config.json'}: cannot read: Is a directory"


def test_config_json_that_is_not_utf8(tmp_path):
    assert load_error(write_bundle(tmp_path, b'{"ociVersion": "\xff"}')).endswith("config.json: not valid UTF-8 text")


def test_json_syntax_error_names_line_and_column(tmp_path):
    message = load_error(write_bundle(tmp_path, '{\n  "ociVersion": "1.0.0",\n  "root": {"path": "rootfs"\n}\n'))
    assert message == f"{tmp_path / 'config.json'}: invalid JSON at line 5:1: Expecting ',' delimiter"


def test_schema_violation_names_the_field(tmp_path):
    doc = docker_config()
    doc["linux"]["namespaces"][2]["type"] = "foo"
    assert load_error(write_bundle(tmp_path, json.dumps(doc))) == (
        'config.json: linux.namespaces[2].type: "foo" is not one of mount, pid, network, uts, ipc, user, cgroup, time')


def test_missing_oci_version(tmp_path):
    doc = docker_config()
    del doc["ociVersion"]
    assert load_error(write_bundle(tmp_path, json.dumps(doc))) == "config.json: ociVersion: required field is missing"


@pytest.mark.parametrize("version", ["2.0.0", "0.9.0", "10.1.0-rc1"])
def test_unsupported_oci_version_major(tmp_path, version):
    doc = docker_config()
    doc["ociVersion"] = version
    assert load_error(write_bundle(tmp_path, json.dumps(doc))) == (
        f"config.json: ociVersion '{version}' is not supported (this runtime implements 1.x)")


def test_any_1x_version_is_accepted(tmp_path):
    doc = runc_spec_config()
    doc["ociVersion"] = "1.3.0+dev"
    assert load_config(write_bundle(tmp_path, json.dumps(doc)))["ociVersion"] == "1.3.0+dev"


def _run_python(code, cwd):
    """`code` on the ociruntime in `cwd`; -S: no site .pth (an editable install's import
    hook would find modules missing from `cwd` in the installed checkout)."""
    result = subprocess.run([sys.executable, "-S", "-c", code], cwd=cwd, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_loading_never_imports_jsonschema(tmp_path):
    shutil.copy(DOCKER_CONFIG, tmp_path / "config.json")
    code = (f"import sys; from ociruntime.spec.config import load_config; load_config({str(tmp_path)!r}); "
            "print('jsonschema' in sys.modules, 'ociruntime.spec._validator' in sys.modules)")
    assert _run_python(code, REPO).split() == ["False", "True"]


def test_unbuilt_checkout_generates_the_validator_in_memory(tmp_path):
    checkout = tmp_path / "checkout"
    for name in ("__init__.py", "errors.py", "jsonio.py", "spec/__init__.py", "spec/config.py",
                 "spec/schema_patterns.py", "codegen/__init__.py", "codegen/schema.py"):
        (checkout / "ociruntime" / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(os.path.join(REPO, "ociruntime", name), checkout / "ociruntime" / name)
    shutil.copytree(SPEC, checkout / "spec")
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    doc = docker_config()
    doc["process"]["rlimits"] = [{"type": "nofile", "soft": 1, "hard": 1}]
    (bundle / "config.json").write_text(json.dumps(doc))
    code = (f"from ociruntime.spec.config import load_config\n"
            f"try:\n    load_config({str(bundle)!r})\nexcept Exception as e:\n    print(e)\n"
            f"import ociruntime.spec._validator as v; print(v.__file__ if hasattr(v, '__file__') else 'in-memory')")
    out = _run_python(code, str(checkout)).splitlines()
    assert out == ['config.json: process.rlimits[0].type: "nofile" does not match ^RLIMIT_[A-Z]+$', "in-memory"]


def _schema_patterns(node):
    """Every regex the schema holds: `pattern` values and `patternProperties` keys."""
    if isinstance(node, dict):
        if isinstance(node.get("pattern"), str):
            yield node["pattern"]
        yield from node.get("patternProperties") or {}
        for value in node.values():
            yield from _schema_patterns(value)
    elif isinstance(node, list):
        for value in node:
            yield from _schema_patterns(value)


def test_hand_written_pattern_matchers_agree_with_re():
    """The validator matches spec/'s patterns without `re`: each matcher must say
    exactly what re.search says, on chosen edge cases and on random strings."""
    import random
    import re

    from ociruntime.spec.schema_patterns import MATCHERS
    with open(os.path.join(SPEC, "config-schema.json")) as f:
        used = set(_schema_patterns(json.load(f)))
    assert used <= set(MATCHERS), f"patterns in spec/ without a matcher: {used - set(MATCHERS)}"
    chosen = ["1.0.0", "01.0.0", "1.0", "1.0.0-rc.1", "1.0.0-rc..1", "1.0.0+b.5", "1.0.0-", "1.0.0\n",
              "1.0.0\n\n", "1.0.0+a+b", "\u00b21.0.0", "RLIMIT_NOFILE", "RLIMIT_", "RLIMIT_x", "c", "cb", "p\n",
              "", "0-3,5", "2MB", "0MB", "2mb", "MB:0=50", "MB:a\nb", "\n", "\n\n", "a\n", "\na"]
    rnd = random.Random(7)
    alphabet = "0123456789.-+abcRLIMT_KMGBcbup:, \n\u00b2"
    samples = chosen + ["".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 9))) for _ in range(5000)]
    for pattern, matcher in MATCHERS.items():
        regex = re.compile(pattern)
        wrong = [s for s in samples if bool(regex.search(s)) != matcher(s)]
        assert not wrong, (pattern, wrong[:5])
