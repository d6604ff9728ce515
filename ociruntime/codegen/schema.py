"""Compile the JSON Schemas in spec/ into the Python source of a validator module.

Why: `create` must check config.json without importing jsonschema (~110 ms). At build time each
schema becomes straight-line Python, one function per definition, so run time pays only for
dict/list walks. Paths travel as nested `(parent, key)` tuples built only where a check crosses
a function boundary, and are rendered to text (`linux.namespaces[2].type`) only on failure.
Semantics follow JSON Schema draft-07; a keyword this compiler does not implement is a build
error rather than a silently skipped check.
"""
import json
import os
import re

SCHEMAS = (
    ("config-schema.json", "validate_config"),
    ("state-schema.json", "validate_state"),
    ("features-schema.json", "validate_features"),
)

_ANNOTATIONS = {"$schema", "$id", "id", "$comment", "title", "description", "default", "examples", "definitions"}
_OBJECT_KEYWORDS = ("required", "minProperties", "properties", "patternProperties", "additionalProperties")
_ARRAY_KEYWORDS = ("minItems", "maxItems", "uniqueItems", "items")
_STRING_KEYWORDS = ("minLength", "maxLength", "pattern")
_NUMBER_KEYWORDS = ("minimum", "maximum")
_OTHER_KEYWORDS = ("$ref", "type", "enum", "const", "allOf", "anyOf", "oneOf")
_SUPPORTED = set(_OBJECT_KEYWORDS + _ARRAY_KEYWORDS + _STRING_KEYWORDS + _NUMBER_KEYWORDS + _OTHER_KEYWORDS)

_TYPE_TESTS = {
    "object": "type({v}) is dict",
    "array": "type({v}) is list",
    "string": "type({v}) is str",
    "boolean": "type({v}) is bool",
    "null": "{v} is None",
    "integer": "(type({v}) is int or (type({v}) is float and {v}.is_integer()))",
    "number": "(type({v}) is int or type({v}) is float)",
}
# The instance types a keyword group applies to, and the guard used when `type` allows others.
_GROUPS = (
    (_OBJECT_KEYWORDS, {"object"}, "type({v}) is dict", "_object_checks"),
    (_ARRAY_KEYWORDS, {"array"}, "type({v}) is list", "_array_checks"),
    (_STRING_KEYWORDS, {"string"}, "type({v}) is str", "_string_checks"),
    (_NUMBER_KEYWORDS, {"integer", "number"}, "(type({v}) is int or type({v}) is float)", "_number_checks"),
)

# Run-time helpers of the generated module, emitted only when generated code refers to them.
_HELPERS = {
    "_MISSING": "_MISSING = object()\n",
    "_fail": '''
def _fail(path, message):
    raise _Invalid(path, message)
''',
    "_wrong_type": '''
def _wrong_type(path, value, expected):
    raise _Invalid(path, f"expected {expected}, got {_show(value)}", expected)
''',
    "_json_equal": '''
def _json_equal(a, b):
    """JSON equality: 1 == 1.0, but true != 1."""
    if type(a) is bool or type(b) is bool:
        return type(a) is type(b) and a == b
    if type(a) in (int, float) and type(b) in (int, float):
        return a == b
    if type(a) is not type(b):
        return False
    if type(a) is list:
        return len(a) == len(b) and all(map(_json_equal, a, b))
    if type(a) is dict:
        return a.keys() == b.keys() and all(_json_equal(a[k], b[k]) for k in a)
    return a == b
''',
    "_has_duplicates": '''
def _has_duplicates(items):
    if all(type(item) is str for item in items):
        return len(set(items)) != len(items)
    return any(_json_equal(a, b) for i, a in enumerate(items) for b in items[i + 1:])
''',
    "_any_of": '''
def _any_of(value, path, branches):
    errors = []
    for branch in branches:
        try:
            branch(value, path)
            return
        except _Invalid as error:
            errors.append(error)
    raise _most_telling(value, path, errors)
''',
    "_one_of": '''
def _one_of(value, path, branches):
    errors = []
    for branch in branches:
        try:
            branch(value, path)
        except _Invalid as error:
            errors.append(error)
    passed = len(branches) - len(errors)
    if passed == 0:
        raise _most_telling(value, path, errors)
    if passed > 1:
        _fail(path, "matches more than one of the allowed forms")
''',
    "_most_telling": '''
def _most_telling(value, path, errors):
    """Of the failures of alternatives: merged type mismatches at this spot, else the deepest one."""
    if all(error.expected and error.chain is path for error in errors):
        expected = " or ".join(dict.fromkeys(error.expected for error in errors))
        return _Invalid(path, f"expected {expected}, got {_show(value)}", expected)
    return max(errors, key=_depth)


def _depth(error):
    depth, chain = 0, error.chain
    while chain is not None:
        chain, depth = chain[0], depth + 1
    return depth
''',
}
_HELPER_DEPENDENCIES = {
    "_has_duplicates": ("_json_equal",),
    "_any_of": ("_most_telling",),
    "_one_of": ("_most_telling", "_fail"),
}

_PRELUDE = '''\
from ociruntime.spec.schema_patterns import MATCHERS as _MATCHERS


class SchemaViolation(ValueError):
    """A document breaks its schema. args are (field path, problem); str() is one line."""

    def __init__(self, path, message):
        super().__init__(path, message)
        self.path = path
        self.message = message

    def __str__(self):
        return f"{self.path}: {self.message}" if self.path else self.message


class _Invalid(Exception):
    """A failed check; `chain` is the unrendered path, nested (parent, key) tuples."""

    def __init__(self, chain, message, expected=None):
        super().__init__(message)
        self.chain = chain
        self.message = message
        self.expected = expected


def _render(chain):
    keys = []
    while chain is not None:
        chain, key = chain
        keys.append(key)
    text = ""
    for key in reversed(keys):
        if type(key) is int:
            text += f"[{key}]"
        elif key.isidentifier():
            text += f".{key}" if text else key
        else:
            import json
            text += f"[{json.dumps(key)}]"
    return text


class _Pattern:
    """A hand-written matcher (ociruntime/schema_patterns.py), else a regex compiled
    on first use: most documents never reach most patterns."""

    __slots__ = ("source", "search")

    def __init__(self, source):
        self.source = source
        self.search = _MATCHERS.get(source) or self._compile_and_search

    def _compile_and_search(self, text):
        import re
        self.search = re.compile(self.source).search
        return self.search(text)


def _show(value):
    if type(value) is dict:
        return "an object"
    if type(value) is list:
        return "an array"
    import json
    text = json.dumps(value)
    return text if len(text) <= 60 else text[:57] + "..."
'''


class SchemaError(Exception):
    """A schema this compiler cannot translate faithfully."""


def _identifier(name):
    return re.sub(r"\W", "_", name)


def _indent(lines):
    return ["    " + line for line in lines]


class _Module:
    """Accumulates the generated module: constants, helper uses and functions."""

    def __init__(self):
        self.constants = {}
        self.helpers = set()
        self.functions = []

    def constant(self, prefix, expression):
        if expression not in self.constants:
            self.constants[expression] = f"_{prefix}{len(self.constants)}"
        return self.constants[expression]

    def use(self, helper):
        self.helpers.add(helper)
        for dependency in _HELPER_DEPENDENCIES.get(helper, ()):
            self.use(dependency)
        return helper

    def function(self, name, doc, body):
        self.functions.append("\n".join([f"def {name}(x, p):", f'    """{doc}"""'] + _indent(body)) + "\n")

    def source(self, header, public):
        helpers = [_HELPERS[name].strip() + "\n" for name in _HELPERS if name in self.helpers]
        constants = "".join(f"{name} = {expression}\n" for expression, name in self.constants.items())
        return "\n\n".join([header + "\n" + _PRELUDE] + helpers + [constants] + self.functions + public)


class _SchemaCompiler:
    """Translates one schema document (with its `definitions`) into functions of a _Module."""

    def __init__(self, module, prefix, label, root):
        self.module = module
        self.prefix = prefix
        self.label = label
        self.root = root
        self.definitions = root.get("definitions", {})
        self.counter = 0
        self.branches = 0

    def compile(self, public_name):
        for name, schema in self.definitions.items():
            self._function(self._definition_function(name), f"{self.label} #/definitions/{name}", schema)
        root_function = f"_{self.prefix}__document"
        self._function(root_function, self.label, self.root)
        return (
            f"def {public_name}(doc):\n"
            f'    """Return None if `doc` satisfies {self.label}, else raise SchemaViolation for the first bad field."""\n'
            f"    try:\n"
            f"        {root_function}(doc, None)\n"
            f"    except _Invalid as error:\n"
            f"        raise SchemaViolation(_render(error.chain), error.message) from None\n"
        )

    def _function(self, name, doc, schema):
        self.counter = 0
        body = self._check(schema, "x", "p")
        self.module.function(name, doc, body or ["pass"])

    def _definition_function(self, name):
        return f"_{self.prefix}_{_identifier(name)}"

    def _ref_function(self, ref):
        prefix = "#/definitions/"
        name = ref[len(prefix):]
        if not ref.startswith(prefix) or name not in self.definitions:
            raise SchemaError(f"{self.label}: unsupported or dangling $ref {ref!r}")
        return self._definition_function(name)

    def _fresh(self, stem):
        self.counter += 1
        return f"{stem}{self.counter}"

    def _check(self, schema, v, path):
        """Lines (unindented) that raise _Invalid unless the value in variable `v` fits `schema`."""
        if schema is True or schema == {}:
            return []
        if schema is False:
            return [f"{self.module.use('_fail')}({path}, 'no value is allowed here')"]
        unknown = set(schema) - _SUPPORTED - _ANNOTATIONS
        if unknown:
            raise SchemaError(f"{self.label}: unsupported keyword(s) {sorted(unknown)}")
        if "$ref" in schema:
            if set(schema) - _ANNOTATIONS - {"$ref"}:
                raise SchemaError(f"{self.label}: keywords beside $ref {schema['$ref']!r} (draft-07 ignores them)")
            return [f"{self._ref_function(schema['$ref'])}({v}, {path})"]
        types = schema.get("type")
        types = [types] if isinstance(types, str) else types
        lines = []
        if types:
            test = " or ".join(_TYPE_TESTS[t].format(v=v) for t in types)
            lines += [f"if not ({test}):", f"    {self.module.use('_wrong_type')}({path}, {v}, {' or '.join(types)!r})"]
        lines += self._enum_and_const(schema, v, path, types)
        for keywords, applies_to, guard, method in _GROUPS:
            if not any(keyword in schema for keyword in keywords):
                continue
            group = getattr(self, method)(schema, v, path)
            if types and set(types) <= applies_to:
                lines += group
            elif group:
                lines += [f"if {guard.format(v=v)}:"] + _indent(group)
        for sub in schema.get("allOf", ()):
            lines += self._check(sub, v, path)
        for keyword, helper in (("anyOf", "_any_of"), ("oneOf", "_one_of")):
            if keyword in schema:
                branches = ", ".join(self._branch_function(sub) for sub in schema[keyword])
                lines.append(f"{self.module.use(helper)}({v}, {path}, ({branches},))")
        return lines

    def _branch_function(self, schema):
        if isinstance(schema, dict) and set(schema) - _ANNOTATIONS == {"$ref"}:
            return self._ref_function(schema["$ref"])
        self.branches += 1
        name = f"_{self.prefix}__branch{self.branches}"
        saved = self.counter
        self._function(name, f"{self.label}: an alternative of anyOf/oneOf", schema)
        self.counter = saved
        return name

    def _enum_and_const(self, schema, v, path, types):
        lines = []
        if "enum" in schema:
            values = schema["enum"]
            shown = ", ".join(value if isinstance(value, str) else json.dumps(value) for value in values)
            if all(isinstance(value, str) for value in values):
                allowed = self.module.constant("ENUM", f"frozenset({sorted(values)!r})")
                test = f"{v} not in {allowed}" if types == ["string"] else f"type({v}) is not str or {v} not in {allowed}"
            else:
                allowed = self.module.constant("ENUM", repr(tuple(values)))
                test = f"not any({self.module.use('_json_equal')}({v}, c) for c in {allowed})"
            lines += [f"if {test}:", f"    {self.module.use('_fail')}({path}, _show({v}) + {' is not one of ' + shown!r})"]
        if "const" in schema:
            expected = self.module.constant("CONST", repr(schema["const"]))
            lines += [f"if not {self.module.use('_json_equal')}({v}, {expected}):",
                      f"    {self.module.use('_fail')}({path}, {'must be ' + json.dumps(schema['const'])!r})"]
        return lines

    def _object_checks(self, schema, v, path):
        fail = self.module.use("_fail")
        lines = []
        for name in schema.get("required", ()):
            lines += [f"if {name!r} not in {v}:", f"    {fail}(({path}, {name!r}), 'required field is missing')"]
        if "minProperties" in schema:
            least = schema["minProperties"]
            lines += [f"if len({v}) < {least}:", f"    {fail}({path}, {f'needs at least {least} field(s)'!r})"]
        properties = schema.get("properties", {})
        for name, sub in properties.items():
            item = self._fresh("v")
            body = self._check(sub, item, f"({path}, {name!r})")
            if body:
                self.module.use("_MISSING")
                lines += [f"{item} = {v}.get({name!r}, _MISSING)", f"if {item} is not _MISSING:"] + _indent(body)
        return lines + self._keyed_checks(schema, v, path, properties)

    def _keyed_checks(self, schema, v, path, properties):
        """patternProperties and additionalProperties: one pass over the object's keys."""
        patterns = schema.get("patternProperties", {})
        additional = schema.get("additionalProperties", True)
        key, item = self._fresh("k"), self._fresh("v")
        loop = []
        for pattern, sub in patterns.items():
            body = self._check(sub, item, f"({path}, {key})")
            if body:
                loop += [f"if {self._regex(pattern)}.search({key}):"] + _indent(body)
        if additional is not True and additional != {}:
            unmatched = [f"not {self._regex(pattern)}.search({key})" for pattern in patterns]
            if properties:
                unmatched.insert(0, f"{key} not in {self.module.constant('KEYS', f'frozenset({sorted(properties)!r})')}")
            body = (self._check(additional, item, f"({path}, {key})") if additional is not False
                    else [f"{self.module.use('_fail')}(({path}, {key}), 'unknown field is not allowed here')"])
            loop += [f"if {' and '.join(unmatched)}:"] + _indent(body) if unmatched else body
        return [f"for {key}, {item} in {v}.items():"] + _indent(loop) if loop else []

    def _array_checks(self, schema, v, path):
        fail = self.module.use("_fail")
        lines = []
        if "minItems" in schema:
            least = schema["minItems"]
            lines += [f"if len({v}) < {least}:",
                      f"    {fail}({path}, f'has {{len({v})}} item(s), needs at least {least}')"]
        if "maxItems" in schema:
            most = schema["maxItems"]
            lines += [f"if len({v}) > {most}:",
                      f"    {fail}({path}, f'has {{len({v})}} item(s), allows at most {most}')"]
        if schema.get("uniqueItems"):
            lines += [f"if {self.module.use('_has_duplicates')}({v}):", f"    {fail}({path}, 'items must be unique')"]
        if "items" in schema:
            if not isinstance(schema["items"], (dict, bool)):
                raise SchemaError(f"{self.label}: tuple-form `items` is not supported")
            index, item = self._fresh("i"), self._fresh("v")
            body = self._check(schema["items"], item, f"({path}, {index})")
            if body:
                lines += [f"for {index}, {item} in enumerate({v}):"] + _indent(body)
        return lines

    def _string_checks(self, schema, v, path):
        fail = self.module.use("_fail")
        lines = []
        if "minLength" in schema:
            least = schema["minLength"]
            lines += [f"if len({v}) < {least}:", f"    {fail}({path}, _show({v}) + {f' is shorter than {least} character(s)'!r})"]
        if "maxLength" in schema:
            most = schema["maxLength"]
            lines += [f"if len({v}) > {most}:", f"    {fail}({path}, _show({v}) + {f' is longer than {most} character(s)'!r})"]
        if "pattern" in schema:
            pattern = schema["pattern"]
            lines += [f"if not {self._regex(pattern)}.search({v}):",
                      f"    {fail}({path}, _show({v}) + {' does not match ' + pattern!r})"]
        return lines

    def _number_checks(self, schema, v, path):
        fail = self.module.use("_fail")
        lines = []
        if "minimum" in schema:
            least = schema["minimum"]
            lines += [f"if {v} < {least!r}:", f"    {fail}({path}, f'{{{v}}} is less than the minimum {least}')"]
        if "maximum" in schema:
            most = schema["maximum"]
            lines += [f"if {v} > {most!r}:", f"    {fail}({path}, f'{{{v}}} is greater than the maximum {most}')"]
        return lines

    def _regex(self, pattern):
        re.compile(pattern)
        return self.module.constant("RE", f"_Pattern({pattern!r})")


def module_source(schemas, origin="ociruntime.codegen.schema"):
    """Python source of a module defining one public validator per (label, schema, public name)."""
    module = _Module()
    public = []
    for label, schema, public_name in schemas:
        prefix = _identifier(label.split("-schema")[0].split(".")[0])
        public.append(_SchemaCompiler(module, prefix, label, schema).compile(public_name))
    header = f'"""JSON Schema validators generated by {origin} -- do not edit.\n\nPublic: {", ".join(name for _, _, name in schemas)}."""'  # noqa: E501
    return module.source(header, public)


def validator_source(spec_dir):
    """The source of ociruntime._validator, compiled from the schemas in `spec_dir`."""
    schemas = []
    for filename, public_name in SCHEMAS:
        with open(os.path.join(spec_dir, filename), encoding="utf-8") as f:
            schemas.append((filename, json.load(f), public_name))
    return module_source(schemas, origin=f"ociruntime.codegen.schema from spec/ ({', '.join(f for f, _ in SCHEMAS)})")


def write_validator(spec_dir, out_path):
    """Build step: (re)write `out_path` from `spec_dir`, leaving an up-to-date file untouched."""
    source = validator_source(spec_dir)
    try:
        with open(out_path, encoding="utf-8") as f:
            if f.read() == source:
                return
    except FileNotFoundError:
        pass
    temporary = out_path + ".tmp"
    with open(temporary, "w", encoding="utf-8") as f:
        f.write(source)
    os.replace(temporary, out_path)


if __name__ == "__main__":
    import sys
    here = os.path.dirname(os.path.abspath(__file__))
    write_validator(sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, os.pardir, os.pardir, "spec"),
                    sys.argv[2] if len(sys.argv) > 2 else os.path.join(here, os.pardir, "spec", "_validator.py"))
