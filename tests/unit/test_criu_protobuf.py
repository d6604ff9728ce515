"""The protobuf codec CRIU's RPC rides on (ociruntime/criu/protobuf.py), against the
wire format's documented encodings, and the request messages checkpoint/restore send."""
import pytest

from ociruntime.criu import protobuf, rpc
from ociruntime.criu.protobuf import DecodeError, Field, decode, encode

SCALARS = {"n": Field(1, "int32"), "u": Field(2, "uint32"), "b": Field(3, "bool"), "s": Field(4, "string"),
           "e": Field(5, "enum"), "r": Field(6, "string", repeated=True)}


def test_the_documented_encodings():
    # protobuf's encoding guide: field 1 = 150 is 08 96 01; field 2 = "testing" is 12 07 74 65 73 74 69 6e 67
    assert encode({"a": Field(1, "int32")}, {"a": 150}) == bytes.fromhex("089601")
    assert encode({"b": Field(2, "string")}, {"b": "testing"}) == bytes.fromhex("120774657374696e67")
    # a nested message: field 3 holding {1: 150} is 1a 03 08 96 01
    assert encode({"c": Field(3, {"a": Field(1, "int32")})}, {"c": {"a": 150}}) == bytes.fromhex("1a03089601")


def test_a_negative_int32_is_ten_bytes_and_comes_back():
    data = encode(SCALARS, {"n": -1})
    assert data == bytes.fromhex("08ffffffffffffffffff01")
    assert decode(SCALARS, data) == {"n": -1}


def test_every_kind_round_trips():
    message = {"n": -(1 << 31), "u": (1 << 32) - 1, "b": True, "s": "päth", "e": 3, "r": ["a", "", "c"]}
    assert decode(SCALARS, encode(SCALARS, message)) == message


def test_fields_go_out_in_number_order_and_none_is_absent():
    assert encode(SCALARS, {"b": False, "n": 1, "s": None}) == bytes.fromhex("08011800")


def test_unknown_fields_of_every_wire_type_are_skipped():
    unknown = (bytes.fromhex("3801")                        # field 7 varint
               + bytes.fromhex("4a026869")                  # field 9 length-delimited
               + bytes.fromhex("5101020304050607 08".replace(" ", ""))  # field 10 fixed64
               + bytes.fromhex("5d01020304"))               # field 11 fixed32
    assert decode(SCALARS, unknown + encode(SCALARS, {"s": "x"})) == {"s": "x"}


@pytest.mark.parametrize("data", [b"\x08", b"\x22\x05ab", b"\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01",
                                  b"\x0b", b"\x51\x01\x02"])
def test_malformed_input_is_a_decode_error(data):
    with pytest.raises(DecodeError):
        decode(SCALARS, data)


def test_a_wrong_wire_type_for_a_known_field_is_an_error():
    with pytest.raises(DecodeError):
        decode(SCALARS, bytes.fromhex("22") + b"\x01")  # field 4 (string) as a varint


@pytest.mark.parametrize("message", [{"u": -1}, {"n": 1 << 31}, {"nope": 1}])
def test_values_the_schema_cannot_carry_are_refused(message):
    with pytest.raises(ValueError):
        encode(SCALARS, message)


def test_a_restore_request_as_criu_reads_it():
    req = {"type": rpc.RESTORE, "opts": {
        "images_dir_fd": 5, "log_file": "restore.log", "rst_sibling": True, "manage_cgroups_mode": rpc.CGROUP_MODES["soft"],
        "ext_mnt": [{"key": "/etc/hosts", "val": "/b/hosts"}], "inherit_fd": [{"key": "pipe:[12]", "fd": 1}],
        "external": ["net[4026531992]:extRootNetNS"], "empty_ns": 0x40000000}}
    data = encode(rpc.REQ, req)
    # criu_req.type (1, varint 2), then opts (2, length-delimited) starting with images_dir_fd (1) = 5
    assert data[:2] == bytes.fromhex("0802") and data[2] == 0x12 and data[4:6] == bytes.fromhex("0805")
    assert decode(rpc.REQ, data) == req


def test_a_criu_response_with_a_notification():
    notify = encode(rpc.RESP["notify"].kind, {"script": "post-restore", "pid": 4242})
    data = bytes.fromhex("0806") + bytes.fromhex("1001") + bytes([0x2A, len(notify)]) + notify
    assert decode(rpc.RESP, data) == {"type": rpc.NOTIFY, "success": True,
                                      "notify": {"script": "post-restore", "pid": 4242}}


def test_varints_at_the_edges():
    for value in (0, 1, 127, 128, 16383, 16384, (1 << 63) - 1):
        assert protobuf.decode_varint(protobuf.encode_varint(value), 0) == (value, len(protobuf.encode_varint(value)))
