"""Hand-written matchers for the patterns in spec/, used by the generated validator
instead of `re` (whose import, with enum's, costs ~4 ms of every `create`).

Each behaves exactly like re.search(pattern, text) for a str: `$` also matches
before one final newline. tests/test_config_schema.py checks them against `re`."""

_ALNUM_DASH = frozenset("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-")
_UPPER = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def _body(text):
    """The text `^...$` sees: `$` may stand before one trailing newline."""
    return text[:-1] if text.endswith("\n") else text


def _number(part):
    return part.isascii() and part.isdigit() and (part == "0" or part[0] != "0")


def _identifiers(text):
    return all(ident and all(ch in _ALNUM_DASH for ch in ident) for ident in text.split("."))


def semver(text):
    rest = _body(text)
    if "\n" in rest:
        return False
    core, plus, build = rest.partition("+")
    if plus and not _identifiers(build):
        return False
    core, dash, pre = core.partition("-")
    if dash and not _identifiers(pre):
        return False
    parts = core.split(".")
    return len(parts) == 3 and all(_number(p) for p in parts)


def rlimit_type(text):
    rest = _body(text)
    return rest.startswith("RLIMIT_") and len(rest) > 7 and all(ch in _UPPER for ch in rest[7:])


def device_type(text):
    return _body(text) in ("c", "b", "u", "p")


def cpu_list(text):
    return all(ch in "0123456789, -" for ch in _body(text))


def hugepage_size(text):
    rest = _body(text)
    return (len(rest) >= 3 and rest[-2:] in ("KB", "MB", "GB") and rest[0] in "123456789"
            and all(ch in "0123456789" for ch in rest[1:-2]))


def memory_bandwidth(text):
    rest = _body(text)
    return rest.startswith("MB:") and "\n" not in rest


def any_character(text):
    """`.{1,}` (annotation keys): one character that is not a newline, anywhere."""
    return any(ch != "\n" for ch in text)


MATCHERS = {
    r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?"
    r"(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$": semver,
    "^RLIMIT_[A-Z]+$": rlimit_type,
    "^[cbup]$": device_type,
    "^[0-9, -]*$": cpu_list,
    "^[1-9][0-9]*[KMG]B$": hugepage_size,
    "^MB:[^\\n]*$": memory_bandwidth,
    ".{1,}": any_character,
}
