"""A minimal protobuf (proto2) codec: the wire format for the few scalar kinds CRIU's
RPC messages use, driven by a schema per message, so that no protobuf package (and no
generated code) is needed for two rarely used commands.

A schema maps a field name to Field(number, kind, repeated); kind is "int32", "uint32",
"bool", "enum", "string" or another schema (a nested message). Messages are plain
dicts; fields absent from the dict are not sent, unknown fields received are skipped.

    >>> point = {"x": Field(1, "int32"), "tags": Field(2, "string", repeated=True)}
    >>> data = encode(point, {"x": -1, "tags": ["a"]})
    >>> decode(point, data)
    {'x': -1, 'tags': ['a']}
"""
from ..errors import RuntimeFailure

VARINT, FIXED64, LENGTH, FIXED32 = 0, 1, 2, 5
_SCALAR_KINDS = frozenset(("int32", "uint32", "bool", "enum", "string"))


class DecodeError(RuntimeFailure):
    """Bytes that are not a message of the expected schema (a truncated or foreign reply)."""


class Field:
    __slots__ = ("number", "kind", "repeated")

    def __init__(self, number, kind, repeated=False):
        if not isinstance(kind, dict) and kind not in _SCALAR_KINDS:
            raise ValueError(f"unknown field kind {kind!r}")
        self.number = number
        self.kind = kind
        self.repeated = repeated


def encode_varint(value):
    """A non-negative integer as a base-128 varint; a negative one as its 64-bit two's
    complement (10 bytes), as protobuf encodes a negative int32."""
    if value < 0:
        value += 1 << 64
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def decode_varint(data, pos):
    """(value, next position) of the varint at data[pos:]."""
    value = shift = 0
    while True:
        if pos >= len(data):
            raise DecodeError("truncated protobuf message (varint)")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7
        if shift > 63:
            raise DecodeError("malformed protobuf varint (longer than 10 bytes)")


def _encode_value(kind, value):
    """(wire type, payload) of one value."""
    if isinstance(kind, dict):
        return LENGTH, encode(kind, value)
    if kind == "string":
        raw = value.encode() if isinstance(value, str) else bytes(value)
        return LENGTH, raw
    if kind == "bool":
        return VARINT, encode_varint(1 if value else 0)
    if kind == "uint32" and not 0 <= value < 1 << 32:
        raise ValueError(f"uint32 out of range: {value}")
    if kind in ("int32", "enum") and not -(1 << 31) <= value < 1 << 31:
        raise ValueError(f"int32 out of range: {value}")
    return VARINT, encode_varint(value)


def encode(schema, message):
    """The wire bytes of `message` (a dict), fields in field-number order."""
    out = bytearray()
    for name, field in sorted(schema.items(), key=lambda item: item[1].number):
        if name not in message or message[name] is None:
            continue
        values = message[name] if field.repeated else [message[name]]
        for value in values:
            wire, payload = _encode_value(field.kind, value)
            out += encode_varint(field.number << 3 | wire)
            if wire == LENGTH:
                out += encode_varint(len(payload))
            out += payload
    for name in message:
        if name not in schema:
            raise ValueError(f"no field {name!r} in this message")
    return bytes(out)


def _decode_value(kind, wire, raw):
    if isinstance(kind, dict):
        if wire != LENGTH:
            raise DecodeError("protobuf: a message field not length-delimited")
        return decode(kind, raw)
    if kind == "string":
        if wire != LENGTH:
            raise DecodeError("protobuf: a string field not length-delimited")
        return bytes(raw).decode(errors="replace")
    if wire != VARINT:
        raise DecodeError(f"protobuf: a {kind} field with wire type {wire}")
    if kind == "bool":
        return raw != 0
    if kind == "uint32":
        return raw & 0xFFFFFFFF
    raw &= 0xFFFFFFFF  # int32/enum: the low 32 bits, signed
    return raw - (1 << 32) if raw & 0x80000000 else raw


def decode(schema, data):
    """The dict of the message in `data`: the fields the schema knows (a repeated one
    as a list), others skipped."""
    by_number = {field.number: (name, field) for name, field in schema.items()}
    message = {}
    pos = 0
    data = memoryview(bytes(data))
    while pos < len(data):
        key, pos = decode_varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == VARINT:
            raw, pos = decode_varint(data, pos)
        elif wire == LENGTH:
            size, pos = decode_varint(data, pos)
            if pos + size > len(data):
                raise DecodeError("truncated protobuf message (length-delimited field)")
            raw, pos = data[pos:pos + size], pos + size
        elif wire in (FIXED64, FIXED32):
            width = 8 if wire == FIXED64 else 4
            if pos + width > len(data):
                raise DecodeError("truncated protobuf message (fixed-width field)")
            raw, pos = int.from_bytes(data[pos:pos + width], "little"), pos + width
        else:
            raise DecodeError(f"protobuf: unsupported wire type {wire}")
        if number not in by_number:
            continue
        name, field = by_number[number]
        value = _decode_value(field.kind, wire, raw)
        if field.repeated:
            message.setdefault(name, []).append(value)
        else:
            message[name] = value
    return message
