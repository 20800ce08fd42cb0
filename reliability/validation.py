"""One validation layer for untrusted JSON: every websocket frame and every public POST.

Two steps, both before anything is stored or announced:

1. `loads_checked` parses safely and runs the generic checks every input gets, whatever its
   shape: no nesting deeper than a small depth (checked before `json.loads`, whose recursion
   raises RecursionError on deep input), no NUL characters (PostgreSQL text and jsonb cannot
   hold them), no lone surrogates ("\\ud800" is valid JSON but not UTF-8, so psycopg fails to
   encode it), no NaN or Infinity, integers within JavaScript's safe range (a pre-chat answer
   of 2^64 could not be packed for the channel layer and broke live delivery), text within a
   length bound.
2. `check_shape` checks the parsed value against a JSON Schema (the `jsonschema` library) and
   turns the first error per field into a sentence a client can show.

Every refusal is an `InvalidInput` with a field path and a sentence that never echoes the
input back. Callers answer it with a 400 (HTTP) or an error frame (websocket); never a 500.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

# Deep enough for every frame and form we define (a pre-chat answer is at depth 2, a
# transfer target at depth 2), shallow enough that nothing recursive is ever at risk.
MAX_DEPTH = 6
# JavaScript's safe integers: what the widget, the console and msgpack can all carry.
MAX_INT = 2**53 - 1
# The longest text anywhere in one input (a message is at most 4,000 characters).
MAX_TEXT = 100_000
# An input of more containers or scalars than this is refused without walking further.
MAX_ITEMS = 10_000

_SURROGATE = re.compile("[\ud800-\udfff]")
# Strings (with their escapes) and brackets: enough to measure nesting without parsing.
_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)


class InvalidInput(ValueError):
    """Refused input: `field` is a dotted path ("" for the whole input), `detail` a sentence."""

    def __init__(self, detail: str, field: str = "", code: str = "invalid_input") -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field
        self.code = code  # "invalid_json" when it does not parse at all

    def as_errors(self) -> dict[str, list[str]]:
        """The widget API's 400 body shape: {"errors": {top-level field: [sentence]}}."""
        return {self.field.split(".")[0] or "__all__": [self.detail]}


def _name(field: str) -> str:
    return field or "the input"


def nesting_depth(text: str) -> int:
    """How deeply arrays and objects nest in JSON `text`, without parsing it."""
    depth = deepest = 0
    for token in _TOKENS.finditer(text):
        char = token.group()
        if char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def _refuse_constant(name: str) -> Any:
    raise InvalidInput(f"{name} is not a number we accept.")


def loads_checked(data: str | bytes | bytearray, *, max_depth: int = MAX_DEPTH) -> Any:
    """Parse JSON `data` and apply `check_value`; raises InvalidInput, never anything else."""
    if isinstance(data, bytes | bytearray):
        try:
            data = bytes(data).decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidInput("Send JSON encoded as UTF-8.", code="invalid_json") from None
    if nesting_depth(data) > max_depth:
        raise InvalidInput(f"Input nests deeper than {max_depth} levels.")
    try:
        value = json.loads(data, parse_constant=_refuse_constant)
    except InvalidInput:
        raise
    except (ValueError, RecursionError):
        raise InvalidInput("The input is not valid JSON.", code="invalid_json") from None
    check_value(value, max_depth=max_depth)
    return value


def check_text(text: str, field: str = "") -> None:
    if len(text) > MAX_TEXT:
        raise InvalidInput(f"{_name(field)} is too long.", field)
    if "\x00" in text:
        raise InvalidInput(f"{_name(field)} contains a NUL character.", field)
    if _SURROGATE.search(text):
        raise InvalidInput(f"{_name(field)} is not valid Unicode text.", field)


def check_value(value: Any, *, max_depth: int = MAX_DEPTH) -> None:
    """The generic checks on an already parsed value (a frame, a form, an event payload)."""
    stack: list[tuple[Any, str, int]] = [(value, "", 0)]
    items = 0
    while stack:
        current, field, depth = stack.pop()
        items += 1
        if items > MAX_ITEMS:
            raise InvalidInput("The input has too many items.")
        if isinstance(current, str):
            check_text(current, field)
        elif isinstance(current, bool) or current is None:
            continue
        elif isinstance(current, int):
            if not -MAX_INT <= current <= MAX_INT:
                raise InvalidInput(f"{_name(field)} is outside the numbers we accept.", field)
        elif isinstance(current, float):
            if current != current or abs(current) > MAX_INT:  # NaN, infinities, huge
                raise InvalidInput(f"{_name(field)} is outside the numbers we accept.", field)
        elif isinstance(current, Mapping | list | tuple):
            if depth >= max_depth:
                raise InvalidInput(f"{_name(field)} nests too deeply.", field)
            if isinstance(current, Mapping):
                for key, item in current.items():
                    if not isinstance(key, str):
                        raise InvalidInput(f"{_name(field)} has a key that is not text.", field)
                    path = f"{field}.{key}" if field else key
                    check_text(key, field)
                    stack.append((item, path, depth + 1))
            else:
                for index, item in enumerate(current):
                    stack.append((item, f"{field}.{index}" if field else str(index), depth + 1))
        else:
            raise InvalidInput(f"{_name(field)} has a value of an unknown kind.", field)


_TYPE_WORDS = {
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "object": "an object",
    "array": "a list",
    "null": "null",
}


def _expected(schema_type: Any) -> str:
    types = [schema_type] if isinstance(schema_type, str) else list(schema_type or [])
    words = [_TYPE_WORDS.get(t, t) for t in types if t != "null"]
    return " or ".join(words) or "null"


def _sentence(error: ValidationError, field: str) -> str:
    """A sentence for one jsonschema error that never repeats the refused value."""
    what = field or "The input"
    schema = error.schema if isinstance(error.schema, dict) else {}
    if "description" in schema and error.validator not in ("required", "additionalProperties"):
        return f"{what}: {schema['description']}"
    match error.validator:
        case "type":
            return f"Send {what} as {_expected(error.validator_value)}."
        case "required":
            missing = re.search(r"'([^']+)' is a required property", error.message)
            return f"{missing.group(1) if missing else 'A field'} is required."
        case "maxLength":
            return f"{what} can be at most {error.validator_value} characters."
        case "minLength":
            return f"{what} cannot be empty."
        case "maximum" | "minimum":
            return f"{what} is outside the numbers we accept."
        case "enum" | "const":
            return f"{what} is not one of the values we accept."
        case "maxProperties" | "maxItems":
            return f"{what} has too many items (at most {error.validator_value})."
        case "additionalProperties":
            return f"{what} has a field we do not accept."
        case "propertyNames":
            return f"{what} has a field name we do not accept."
        case _:
            return f"{what} is not in the shape we accept."


_validators: dict[int, Draft202012Validator] = {}


def validator_for(schema: dict[str, Any]) -> Draft202012Validator:
    """A compiled validator per schema object (schemas are module constants)."""
    found = _validators.get(id(schema))
    if found is None or found.schema is not schema:
        Draft202012Validator.check_schema(schema)
        found = _validators[id(schema)] = Draft202012Validator(schema)
    return found


def check_shape(value: Any, schema: dict[str, Any]) -> None:
    """Raise InvalidInput for the first (shallowest) way `value` does not fit `schema`."""
    errors = sorted(validator_for(schema).iter_errors(value), key=lambda e: len(e.path))
    if errors:
        error = errors[0]
        field = ".".join(str(part) for part in error.path)
        raise InvalidInput(_sentence(error, field), field)


def parse_checked(
    data: str | bytes | bytearray, schema: dict[str, Any], *, max_depth: int = MAX_DEPTH
) -> Any:
    """`loads_checked` then `check_shape`: the one call an endpoint makes."""
    value = loads_checked(data, max_depth=max_depth)
    check_shape(value, schema)
    return value
