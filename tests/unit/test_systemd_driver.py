"""The systemd driver's pure parts: cgroupsPath "slice:prefix:name" by runc's rules, the
resources-to-unit-properties conversions runc makes, the org.systemd.property.*
annotations, and the D-Bus wire format (against bytes another implementation produced,
and a bus peer on a socket in tmp_path speaking the protocol)."""
import os
import socket
import threading

import pytest

from ociruntime.cgroups.systemd import dbus
from ociruntime.cgroups.systemd.naming import expand_slice, parse_cgroups_path
from ociruntime.cgroups.systemd.properties import (UINT64_MAX, annotation_properties, range_to_bits,
                                                   resource_properties)
from ociruntime.errors import ConfigError


@pytest.mark.parametrize("path, unit, parent, cgroup", [
    ("system.slice:docker:abc", "docker-abc.scope", "system.slice", "/system.slice/docker-abc.scope"),
    ("machine.slice:libpod:123", "libpod-123.scope", "machine.slice", "/machine.slice/libpod-123.scope"),
    (":cri-containerd:c1", "cri-containerd-c1.scope", "system.slice", "/system.slice/cri-containerd-c1.scope"),
    ("kubepods-burstable-pod1.slice:cri-containerd:c1", "cri-containerd-c1.scope",
     "kubepods-burstable-pod1.slice",
     "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1.slice/cri-containerd-c1.scope"),
    ("-.slice:p:n", "p-n.scope", "-.slice", "/p-n.scope"),
    ("system.slice:p:my-x.slice", "my-x.slice", "system.slice", "/my.slice/my-x.slice"),
    ("", "ociruntime-ctr1.scope", "system.slice", "/system.slice/ociruntime-ctr1.scope"),
    (None, "ociruntime-ctr1.scope", "system.slice", "/system.slice/ociruntime-ctr1.scope"),
])
def test_cgroups_path_as_runc(path, unit, parent, cgroup):
    name = parse_cgroups_path(path, "ctr1")
    assert (name.unit, name.parent, name.path) == (unit, parent, cgroup)
    assert name.is_slice == unit.endswith(".slice")


@pytest.mark.parametrize("path, why", [
    ("/sys/fs/cgroup/foo", "expected \"slice:prefix:name\""),
    ("a:b", "expected \"slice:prefix:name\""),
    ("a.slice:b:c:d", "expected \"slice:prefix:name\""),
    ("system:docker:abc", "invalid slice name 'system'"),
    ("a--b.slice:p:n", "empty component"),
    ("-a.slice:p:n", "empty component"),
    ("system.slice:p:", "the name"),
    ("system.slice:p:a/b", "characters systemd does not allow"),
    ("system.slice:p q:n", "characters systemd does not allow"),
])
def test_bad_cgroups_path_names_the_field(path, why):
    with pytest.raises(ConfigError, match="linux.cgroupsPath") as e:
        parse_cgroups_path(path, "ctr1")
    assert why in str(e.value)
    assert e.value.field == "linux.cgroupsPath"


def test_expand_slice():
    assert expand_slice("a-b-c.slice") == "/a.slice/a-b.slice/a-b-c.slice"
    assert expand_slice("-.slice") == "/"
    for bad in (".slice", "a", "a/b.slice", "a-.slice"):
        with pytest.raises(ConfigError):
            expand_slice(bad)


def props(resources):
    return dict(resource_properties(resources))


def test_resource_properties_as_runc():
    p = props({"memory": {"limit": 64 << 20, "reservation": 32 << 20, "swap": 96 << 20},
               "cpu": {"shares": 512, "quota": 50000, "period": 100000, "cpus": "0-1", "mems": "0"},
               "pids": {"limit": 42}, "blockIO": {"weight": 500}})
    assert p["MemoryMax"] == ("t", 64 << 20)
    assert p["MemoryLow"] == ("t", 32 << 20)
    assert p["MemorySwapMax"] == ("t", 32 << 20)          # OCI memory+swap minus memory
    assert p["CPUWeight"] == ("t", 20)                    # shares 512 -> weight 20
    assert p["CPUQuotaPerSecUSec"] == ("t", 500000)
    assert p["CPUQuotaPeriodUSec"] == ("t", 100000)
    assert p["AllowedCPUs"] == ("ay", [0b11])
    assert p["AllowedMemoryNodes"] == ("ay", [1])
    assert p["TasksMax"] == ("t", 42)
    assert p["IOWeight"] == ("t", 1 + (500 - 10) * 9999 // 990)


def test_resource_properties_unlimited_and_rounding():
    p = props({"memory": {"limit": -1}, "pids": {"limit": -1}, "cpu": {"quota": -1, "period": 50000}})
    assert p["MemoryMax"] == p["TasksMax"] == ("t", UINT64_MAX)
    assert p["CPUQuotaPerSecUSec"] == ("t", UINT64_MAX)
    # 12345 us per 100 ms = 123450 us/s, up to systemd's 10 ms steps
    assert props({"cpu": {"quota": 12345}})["CPUQuotaPerSecUSec"] == ("t", 130000)
    assert props({}) == {}
    assert "TasksMax" not in props({"pids": {"limit": 0}})


def test_unified_keys_systemd_knows():
    p = props({"unified": {"memory.high": "1048576", "memory.max": "max", "pids.max": "7", "cpu.max": "20000 100000",
                           "cpu.weight": "300", "io.max": "8:0 rbps=1"}})
    assert p["MemoryHigh"] == ("t", 1 << 20)
    assert p["MemoryMax"] == ("t", UINT64_MAX)
    assert p["TasksMax"] == ("t", 7)
    assert p["CPUQuotaPerSecUSec"] == ("t", 200000)
    assert p["CPUWeight"] == ("t", 300)
    assert len(p) == 6  # io.max: files only


def test_range_to_bits_little_endian():
    assert range_to_bits("0", "f") == [1]
    assert range_to_bits("8", "f") == [0, 1]
    assert range_to_bits("1,3-4,9", "f") == [0b11010, 0b10]
    with pytest.raises(ConfigError, match="linux.resources.cpu.cpus"):
        props({"cpu": {"cpus": "a-b"}})


def test_annotations_as_runc():
    got = dict(annotation_properties({
        "org.systemd.property.TimeoutStopSec": "uint64 3",
        "org.systemd.property.CollectMode": "'inactive-or-failed'",
        "org.systemd.property.RuntimeMaxSec": "1.5",
        "org.systemd.property.IgnoreOnIsolate": "true",
        "org.systemd.property.After": "['a.service', 'b.service']",
        "other": "x"}))
    assert got == {"TimeoutStopUSec": ("t", 3000000), "CollectMode": ("s", "inactive-or-failed"),
                   "RuntimeMaxUSec": ("t", 1500000), "IgnoreOnIsolate": ("b", True),
                   "After": ("as", ["a.service", "b.service"])}
    with pytest.raises(ConfigError, match="annotations.org.systemd.property.lower"):
        annotation_properties({"org.systemd.property.lower": "1"})
    with pytest.raises(ConfigError, match="not a GVariant value"):
        annotation_properties({"org.systemd.property.X": "nonsense"})


# StartTransientUnit("oci-x.scope", "replace", [Description "d", PIDs [7], MemoryMax 64M,
# Delegate true], []) with serial 3, as jeepney 0.9 serialises it
START_TRANSIENT_UNIT = bytes.fromhex(
    "6c0100019000000003000000b600000001016f00190000002f6f72672f667265656465736b746f702f73797374656d6431"
    "0000000000000002017300200000006f72672e667265656465736b746f702e73797374656d64312e4d616e61676572000000"
    "0000000000030173001200000053746172745472616e7369656e74556e697400000000000006017300180000006f72672e66"
    "7265656465736b746f702e73797374656d643100000000000000000801670010737361287376296128736128737629290000"
    "000b0000006f63692d782e73636f706500070000007265706c616365006c0000000b0000004465736372697074696f6e0001"
    "730000010000006400000000000000040000005049447300026175000000000400000007000000090000004d656d6f72794d"
    "6178000174000000000000000000000004000000000800000044656c6567617465000162000100000000000000")
CALL_FIELDS = {dbus.PATH: "/org/freedesktop/systemd1", dbus.INTERFACE: "org.freedesktop.systemd1.Manager",
               dbus.MEMBER: "StartTransientUnit", dbus.DESTINATION: "org.freedesktop.systemd1"}
CALL_BODY = ("oci-x.scope", "replace", [("Description", ("s", "d")), ("PIDs", ("au", [7])),
                                        ("MemoryMax", ("t", 1 << 26)), ("Delegate", ("b", True))], [])


def test_marshalling_matches_another_implementation():
    assert dbus.encode_message(3, dbus.METHOD_CALL, CALL_FIELDS, "ssa(sv)a(sa(sv))", CALL_BODY) == START_TRANSIENT_UNIT
    msg, end = dbus.decode_message(START_TRANSIENT_UNIT + b"rest")
    assert end == len(START_TRANSIENT_UNIT)
    assert (msg.type, msg.serial, msg.member) == (dbus.METHOD_CALL, 3, "StartTransientUnit")
    assert msg.body == ["oci-x.scope", "replace", [("Description", "d"), ("PIDs", [7]), ("MemoryMax", 1 << 26),
                                                   ("Delegate", True)], []]
    assert dbus.decode_message(START_TRANSIENT_UNIT[:-1]) == (None, 0)


@pytest.mark.parametrize("sig, value", [
    ("y", 255), ("b", False), ("n", -2), ("q", 65535), ("i", -7), ("u", 1 << 31), ("x", -(1 << 62)),
    ("t", UINT64_MAX), ("d", 1.5), ("s", "héllo"), ("o", "/a/b"), ("g", "a{sv}"), ("as", ["x", "", "yz"]),
    ("a{sv}", {"k": 5}), ("(yt)", (1, 2)), ("a(st)", [("/dev/block/8:0", 100)]), ("ay", []), ("aat", [[1], []]),
])
def test_round_trip(sig, value):
    encoded = {"k": ("i", 5)} if sig == "a{sv}" else value  # a variant goes in as (signature, value)
    for endian in "<>":
        buf = bytearray(b"\0")  # an odd start offset: alignment is from the message start
        dbus.marshal(buf, sig, encoded, endian)
        assert dbus.unmarshal(bytes(buf), 1, sig, endian) == (value, len(buf))


def test_bad_signature():
    with pytest.raises(ValueError):
        dbus.split_signature("sz")


class FakeBus(threading.Thread):
    """A bus peer on a unix socket: takes SASL EXTERNAL, answers each call as `answer` says."""

    def __init__(self, path, answer):
        super().__init__(daemon=True)
        self.listener = socket.socket(socket.AF_UNIX)
        self.listener.bind(path)
        self.listener.listen(1)
        self.answer = answer
        self.auth = b""
        self.calls = []

    def run(self):
        conn, _ = self.listener.accept()
        data = b""
        while b"BEGIN\r\n" not in data:
            data += conn.recv(4096)
        self.auth, _, data = data.partition(b"BEGIN\r\n")
        conn.sendall(b"OK 0123456789abcdef0123456789abcdef\r\n")
        serial = 100
        while True:
            msg, end = dbus.decode_message(data)
            if msg is None:
                more = conn.recv(4096)
                if not more:
                    return
                data += more
                continue
            data = data[end:]
            self.calls.append((msg.member, msg.body))
            for msg_type, fields, sig, body in self.answer(msg):
                serial += 1
                conn.sendall(dbus.encode_message(serial, msg_type, fields, sig, body))


def test_bus_pipelines_auth_and_calls_and_waits_for_the_job(tmp_path, monkeypatch):
    job = "/org/freedesktop/systemd1/job/9"

    def answer(msg):
        reply = {dbus.REPLY_SERIAL: msg.serial}
        if msg.member == "StartTransientUnit":  # the signal before the reply: it must be kept
            return [(dbus.SIGNAL, {dbus.PATH: "/org/freedesktop/systemd1", dbus.MEMBER: "JobRemoved",
                                   dbus.INTERFACE: "org.freedesktop.systemd1.Manager"},
                     "uoss", (9, job, "oci-x.scope", "done")),
                    (dbus.METHOD_RETURN, reply, "o", (job,))]
        if msg.member == "StopUnit":
            return [(dbus.ERROR, {**reply, dbus.ERROR_NAME: "org.freedesktop.systemd1.NoSuchUnit"},
                     "s", ("Unit oci-x.scope not loaded.",))]
        return [(dbus.METHOD_RETURN, reply, "s", (":1.5",))]

    path = str(tmp_path / "bus")
    peer = FakeBus(path, answer)
    peer.start()
    monkeypatch.setenv("DBUS_SYSTEM_BUS_ADDRESS", f"unix:path={path}")
    bus = dbus.Bus()
    (got_job,) = bus.call("/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager", "StartTransientUnit",
                          "org.freedesktop.systemd1", "ssa(sv)a(sa(sv))", CALL_BODY)
    assert got_job == job
    assert bus.signal("JobRemoved", lambda b: b[1] == job)[3] == "done"
    with pytest.raises(dbus.BusError) as e:
        bus.call("/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager", "StopUnit",
                 "org.freedesktop.systemd1", "ss", ("oci-x.scope", "replace"))
    assert e.value.name == "org.freedesktop.systemd1.NoSuchUnit" and "not loaded" in str(e.value)
    bus.close()
    peer.join(5)
    assert peer.auth == b"\0AUTH EXTERNAL " + str(os.geteuid()).encode().hex().encode() + b"\r\n"
    assert [m for m, _ in peer.calls] == ["Hello", "StartTransientUnit", "StopUnit"]


def test_bus_absent_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("DBUS_SYSTEM_BUS_ADDRESS", f"unix:path={tmp_path}/none")
    with pytest.raises(dbus.CgroupError, match=r"cannot reach the system bus at .*/none: No such file"):
        dbus.Bus()
