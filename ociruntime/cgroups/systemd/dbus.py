"""A minimal D-Bus client: the wire format (marshalling by signature) and one connection
to the system bus, enough for systemd's Manager API.

Why our own: `create` pays for the client on every container. Over the unix socket with
SASL EXTERNAL, one pipelined write (auth, Hello, AddMatch, the call) and two reads cost
well under a millisecond, and importing this module (_socket and struct only: the
`socket` module alone is ~3 ms) about the same; jeepney or sd-bus through cffi cost
several times that (numbers: the systemd report). Only what systemd's API needs is here:
method calls, their returns and errors, and signals (JobRemoved); no fd passing.

Values: basic types as Python ints/bools/floats/str; arrays as lists (a dict for a{..});
structs as tuples; a variant to marshal is (signature, value), one unmarshalled is its value.
"""

import os
import struct

import _socket

from ociruntime.errors import CgroupError

SYSTEM_BUS = "/run/dbus/system_bus_socket"
METHOD_CALL, METHOD_RETURN, ERROR, SIGNAL = 1, 2, 3, 4
# header field codes
PATH, INTERFACE, MEMBER, ERROR_NAME, REPLY_SERIAL, DESTINATION, SENDER, SIGNATURE = 1, 2, 3, 4, 5, 6, 7, 8
HEADER_FIELD_TYPES = {PATH: "o", INTERFACE: "s", MEMBER: "s", ERROR_NAME: "s", REPLY_SERIAL: "u",
                      DESTINATION: "s", SENDER: "s", SIGNATURE: "g", 9: "u"}

# the fixed-size basic types: struct code and alignment (= size)
_FIXED = {"y": "B", "b": "I", "n": "h", "q": "H", "i": "i", "u": "I", "x": "q", "t": "Q", "d": "d", "h": "I"}
_ALIGN = {"y": 1, "b": 4, "n": 2, "q": 2, "i": 4, "u": 4, "x": 8, "t": 8, "d": 8, "h": 4,
          "s": 4, "o": 4, "g": 1, "v": 1, "a": 4, "(": 8, "{": 8}


class BusError(CgroupError):
    """An error reply from the bus or systemd: `name` is the D-Bus error name."""

    def __init__(self, name, message):
        super().__init__(message)
        self.name = name


def type_end(sig, i):
    """The index just past the single complete type that starts at sig[i]."""
    c = sig[i]
    if c == "a":
        return type_end(sig, i + 1)
    if c in "({":
        close = ")" if c == "(" else "}"
        i += 1
        while sig[i] != close:
            i = type_end(sig, i)
        return i + 1
    if c not in _ALIGN:
        raise ValueError(f"D-Bus signature {sig!r}: unknown type code {c!r}")
    return i + 1


def split_signature(sig):
    """"sa(sv)u" -> ["s", "a(sv)", "u"]."""
    types, i = [], 0
    while i < len(sig):
        end = type_end(sig, i)
        types.append(sig[i:end])
        i = end
    return types


def _pad(buf, n):
    buf.extend(b"\0" * (-len(buf) % n))


def marshal(buf, sig, value, endian="<"):
    """Append `value` of the single complete type `sig` to buf (offsets from buf's start)."""
    c = sig[0]
    if c in _FIXED:
        _pad(buf, _ALIGN[c])
        buf.extend(struct.pack(endian + _FIXED[c], int(value) if c == "b" else value))
    elif c in "so":
        data = value.encode()
        _pad(buf, 4)
        buf.extend(struct.pack(endian + "I", len(data)) + data + b"\0")
    elif c == "g":
        data = value.encode()
        buf.extend(struct.pack("B", len(data)) + data + b"\0")
    elif c == "v":
        inner, inner_value = value
        marshal(buf, "g", inner, endian)
        marshal(buf, inner, inner_value, endian)
    elif c == "a":
        element = sig[1:]
        _pad(buf, 4)
        at = len(buf)
        buf.extend(b"\0\0\0\0")
        _pad(buf, _ALIGN[element[0]])
        start = len(buf)
        items = value.items() if isinstance(value, dict) else value
        for item in items:
            marshal(buf, element, item, endian)
        struct.pack_into(endian + "I", buf, at, len(buf) - start)
    elif c in "({":
        _pad(buf, 8)
        for inner, item in zip(split_signature(sig[1:-1]), value, strict=True):
            marshal(buf, inner, item, endian)
    else:
        raise ValueError(f"D-Bus signature {sig!r}: unknown type code {c!r}")


def marshal_body(signature, values, endian="<"):
    """A message body: `values` in order of the complete types of `signature`."""
    buf = bytearray()
    for sig, value in zip(split_signature(signature), values, strict=True):
        marshal(buf, sig, value, endian)
    return bytes(buf)


def unmarshal(data, pos, sig, endian="<"):
    """(value, next position) of the single complete type `sig` at data[pos:]."""
    c = sig[0]
    if c in _FIXED:
        pos += -pos % _ALIGN[c]
        (value,) = struct.unpack_from(endian + _FIXED[c], data, pos)
        return (bool(value) if c == "b" else value), pos + _ALIGN[c]
    if c in "so":
        pos += -pos % 4
        (length,) = struct.unpack_from(endian + "I", data, pos)
        pos += 4
        return bytes(data[pos:pos + length]).decode(), pos + length + 1
    if c == "g":
        length = data[pos]
        return bytes(data[pos + 1:pos + 1 + length]).decode(), pos + length + 2
    if c == "v":
        inner, pos = unmarshal(data, pos, "g", endian)
        return unmarshal(data, pos, inner, endian)
    if c == "a":
        element = sig[1:]
        pos += -pos % 4
        (length,) = struct.unpack_from(endian + "I", data, pos)
        pos += 4
        pos += -pos % _ALIGN[element[0]]
        end, items = pos + length, []
        while pos < end:
            item, pos = unmarshal(data, pos, element, endian)
            items.append(item)
        return (dict(items) if element[0] == "{" else items), end
    if c in "({":
        pos += -pos % 8
        items = []
        for inner in split_signature(sig[1:-1]):
            item, pos = unmarshal(data, pos, inner, endian)
            items.append(item)
        return tuple(items), pos
    raise ValueError(f"D-Bus signature {sig!r}: unknown type code {c!r}")


def encode_message(serial, msg_type, fields, signature="", body=(), flags=0):
    """One message, little-endian: `fields` maps header field codes to values (their
    types from HEADER_FIELD_TYPES); the SIGNATURE field is added from `signature`."""
    payload = marshal_body(signature, body) if signature else b""
    fields = dict(fields)
    if signature:
        fields[SIGNATURE] = signature
    header = bytearray(struct.pack("<cBBBII", b"l", msg_type, flags, 1, len(payload), serial))
    marshal(header, "a(yv)", [(code, (HEADER_FIELD_TYPES[code], value)) for code, value in sorted(fields.items())])
    _pad(header, 8)
    return bytes(header) + payload


class Message:
    """A received message: type, serial, header fields (code -> value) and body values."""

    def __init__(self, msg_type, serial, fields, body):
        self.type = msg_type
        self.serial = serial
        self.fields = fields
        self.body = body

    @property
    def member(self):
        return self.fields.get(MEMBER)

    @property
    def reply_serial(self):
        return self.fields.get(REPLY_SERIAL)


def decode_message(data, pos=0):
    """(Message, next position), or (None, pos) while data holds less than a whole message."""
    if len(data) - pos < 16:
        return None, pos
    endian = "<" if data[pos:pos + 1] == b"l" else ">"
    msg_type, _, _, body_len, serial, fields_len = struct.unpack_from(endian + "BBBIII", data, pos + 1)
    body_start = pos + 16 + fields_len + (-(16 + fields_len) % 8)
    end = body_start + body_len
    if len(data) < end:
        return None, pos
    view = bytes(data[pos:end])
    fields, _ = unmarshal(view, 12, "a(yv)", endian)
    fields = dict(fields)
    body, at = [], body_start - pos
    for sig in split_signature(fields.get(SIGNATURE, "")):
        value, at = unmarshal(view, at, sig, endian)
        body.append(value)
    return Message(msg_type, serial, fields, body), end


def bus_address():
    """The system bus socket: $DBUS_SYSTEM_BUS_ADDRESS (unix:path=...) or the standard one."""
    address = os.environ.get("DBUS_SYSTEM_BUS_ADDRESS", "")
    for part in address.split(";"):
        if part.startswith("unix:"):
            for kv in part[5:].split(","):
                if kv.startswith("path="):
                    return kv[5:]
    return SYSTEM_BUS


class Bus:
    """One authenticated connection to the system bus. Calls are pipelined: `send` returns
    the serial, `reply(serial)` reads until that reply; signals that arrive meanwhile are
    kept for `signal(...)`."""

    def __init__(self, path=None, timeout=30.0):
        self.path = path or bus_address()
        self.serial = 0
        self.pending = []      # encoded messages not yet written (sent with the auth)
        self.inbox = bytearray()
        self.received = []     # messages read but not yet asked for
        self.sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM | _socket.SOCK_CLOEXEC)
        self.sock.settimeout(timeout)
        try:
            self.sock.connect(self.path)
        except OSError as exc:
            self.sock.close()
            raise CgroupError(f"systemd cgroup driver: cannot reach the system bus at {self.path}: "
                              f"{exc.strerror or exc} (is D-Bus running?)") from None
        self.authenticated = False
        self.send("/org/freedesktop/DBus", "org.freedesktop.DBus", "Hello", "org.freedesktop.DBus")

    def send(self, path, interface, member, destination, signature="", body=()):
        """Queue a method call; it goes out with the next read (one write for all). Returns its serial."""
        self.serial += 1
        self.pending.append(encode_message(self.serial, METHOD_CALL,
                                           {PATH: path, INTERFACE: interface, MEMBER: member,
                                            DESTINATION: destination}, signature, body))
        return self.serial

    def _flush(self):
        out = b"".join(self.pending)
        if not self.authenticated:
            # SASL EXTERNAL as our uid (hex of its decimal text); BEGIN pipelined behind it
            out = b"\0AUTH EXTERNAL " + str(os.geteuid()).encode().hex().encode() + b"\r\nBEGIN\r\n" + out
        self.pending = []
        if out:
            try:
                self.sock.sendall(out)
            except OSError as exc:
                raise CgroupError(f"systemd cgroup driver: writing to the system bus: {exc.strerror or exc}") from None

    def _read_more(self):
        try:
            data = self.sock.recv(65536)
        except OSError as exc:
            raise CgroupError(f"systemd cgroup driver: reading from the system bus: {exc.strerror or exc}") from None
        if not data:
            raise CgroupError("systemd cgroup driver: the system bus closed the connection")
        self.inbox.extend(data)

    def _next_message(self):
        self._flush()
        while not self.authenticated:
            line, sep, rest = bytes(self.inbox).partition(b"\r\n")
            if sep:
                if not line.startswith(b"OK "):
                    raise CgroupError(f"systemd cgroup driver: the system bus refused authentication: "
                                      f"{line.decode(errors='replace')}")
                self.inbox = bytearray(rest)
                self.authenticated = True
                break
            self._read_more()
        while True:
            msg, end = decode_message(self.inbox)
            if msg is not None:
                del self.inbox[:end]
                return msg
            self._read_more()

    def reply(self, serial):
        """The body of the reply to call `serial`; BusError for an error reply."""
        while True:
            for msg in self.received:
                if msg.reply_serial == serial:
                    self.received.remove(msg)
                    return _result(msg)
            msg = self._next_message()
            if msg.reply_serial == serial:
                return _result(msg)
            if msg.type == SIGNAL:
                self.received.append(msg)

    def call(self, path, interface, member, destination, signature="", body=()):
        return self.reply(self.send(path, interface, member, destination, signature, body))

    def signal(self, member, predicate):
        """The body of the first signal `member` whose body satisfies predicate (waits for it)."""
        while True:
            for msg in self.received:
                if msg.type == SIGNAL and msg.member == member and predicate(msg.body):
                    self.received.remove(msg)
                    return msg.body
            msg = self._next_message()
            if msg.type == SIGNAL:
                self.received.append(msg)

    def close(self):
        self.sock.close()


def _result(msg):
    if msg.type == ERROR:
        text = msg.body[0] if msg.body and isinstance(msg.body[0], str) else msg.fields.get(ERROR_NAME, "")
        raise BusError(msg.fields.get(ERROR_NAME, ""), text)
    return msg.body
