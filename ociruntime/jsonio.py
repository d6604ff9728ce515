"""JSON through the C accelerator alone: importing `json` pulls in `re` and
`enum` (~7 ms), more than a whole `state` call should cost. Errors still come
from json.decoder (imported only when a document is invalid)."""
import _json

_WHITESPACE = " \t\n\r"


class _Context:
    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int

    @staticmethod
    def parse_constant(name):
        return {"NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf")}[name]


_scan = _json.make_scanner(_Context())  # type: ignore[arg-type]  # any object with the attributes


def _invalid(msg, text, pos):
    from json import JSONDecodeError
    return JSONDecodeError(msg, text, pos)


def loads(text):
    """Like json.loads; raises json.JSONDecodeError (a ValueError)."""
    if isinstance(text, (bytes, bytearray)):
        text = text.decode()
    start = len(text) - len(text.lstrip(_WHITESPACE))
    try:
        obj, end = _scan(text, start)
    except StopIteration as e:
        raise _invalid("Expecting value", text, e.value) from None
    except SystemError:
        # the scanner builds its errors from json.decoder, which it cannot always import
        # mid-scan: the slow path, only for invalid documents, gives the real error
        import json
        return json.loads(text)
    rest = len(text) - len(text[end:].lstrip(_WHITESPACE))
    if rest != len(text):
        raise _invalid("Extra data", text, rest)
    return obj


def _default(obj):
    raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")


_encode = _json.make_encoder(None, _default, _json.encode_basestring_ascii, None, ": ", ", ", False, False, True)
_encode_compact = _json.make_encoder(None, _default, _json.encode_basestring_ascii, None, ":", ",", False, False, True)


def _pretty(obj, indent, level, out):
    pad = "\n" + " " * (indent * (level + 1))
    if isinstance(obj, dict) and obj:
        out.append("{")
        for i, (k, v) in enumerate(obj.items()):
            out.append(("," if i else "") + pad + _json.encode_basestring_ascii(str(k)) + ": ")
            _pretty(v, indent, level + 1, out)
        out.append("\n" + " " * (indent * level) + "}")
    elif isinstance(obj, list) and obj:
        out.append("[")
        for i, v in enumerate(obj):
            out.append(("," if i else "") + pad)
            _pretty(v, indent, level + 1, out)
        out.append("\n" + " " * (indent * level) + "]")
    else:
        out.append("".join(_encode(obj, 0)))


def dumps(obj, indent=None):
    """Like json.dumps (separators ", " and ": "; indent as json's)."""
    if indent is None:
        return "".join(_encode(obj, 0))
    out = []
    _pretty(obj, indent, 0, out)
    return "".join(out)


def dumps_compact(obj):
    """No whitespace at all, as Go's encoding/json writes: runc's one-line outputs (list,
    events, ps) that tools match as text."""
    return "".join(_encode_compact(obj, 0))
