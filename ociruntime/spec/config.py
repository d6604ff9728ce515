"""Load a bundle's config.json: read, parse, check against spec/config-schema.json.

Every failure becomes one ConfigError line that names the bundle file and what is wrong.
Validation uses the build-generated ociruntime._validator (no jsonschema on the hot path); in a
source checkout that was never built, the same code is generated in memory from spec/.
"""
import os

from ociruntime import jsonio

from ociruntime.errors import ConfigError, InvalidArgument

SUPPORTED_MAJOR = 1
_SOURCE_SPEC_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "spec")


def load_config(bundle):
    """Return the parsed, schema-valid config.json of `bundle` (a directory path)."""
    if not os.path.exists(bundle):
        raise InvalidArgument(f"bundle {bundle}: no such directory")
    if not os.path.isdir(bundle):
        raise InvalidArgument(f"bundle {bundle}: not a directory")
    path = os.path.join(bundle, "config.json")
    doc = _parse(path, _read(path))
    _check_version(doc)
    try:
        _validator().validate_config(doc)
    except ValueError as violation:
        raise ConfigError(getattr(violation, "path", ""), getattr(violation, "message", str(violation))) from None
    return doc


def _read(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        raise ConfigError("", "not found (a bundle needs a config.json)", source=path) from None
    except OSError as error:
        raise ConfigError("", f"cannot read: {error.strerror or error}", source=path) from None


def _parse(path, data):
    try:
        return jsonio.loads(data)
    except UnicodeDecodeError:
        raise ConfigError("", "not valid UTF-8 text", source=path) from None
    except ValueError as error:
        raise ConfigError("", f"invalid JSON at line {error.lineno}:{error.colno}: {error.msg}", source=path) from None


def _check_version(doc):
    """Refuse other spec majors first, as their documents may break this schema in unrelated places."""
    version = doc.get("ociVersion") if isinstance(doc, dict) else None
    if not isinstance(version, str):
        return
    major = version.split(".", 1)[0]
    if major.isdigit() and int(major) != SUPPORTED_MAJOR:
        raise ConfigError("", f"ociVersion {version!r} is not supported (this runtime implements {SUPPORTED_MAJOR}.x)")


def _validator():
    try:
        import ociruntime.spec._validator as validator
    except ModuleNotFoundError as missing:
        if missing.name != "ociruntime.spec._validator":
            raise
        return _validator_from_source_tree()
    return validator


def _validator_from_source_tree():
    """Unbuilt checkout: compile spec/*.json now and register the module for later callers."""
    import sys
    import types

    from ociruntime.codegen.schema import validator_source

    module = types.ModuleType("ociruntime.spec._validator")
    exec(compile(validator_source(_SOURCE_SPEC_DIR), "<ociruntime.spec._validator from spec/>", "exec"), module.__dict__)
    sys.modules[module.__name__] = module
    return module
