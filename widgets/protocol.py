"""The widget's HTTP API as JSON Schema (draft 2020-12): every endpoint's answers, and its
request body's schema (the one the view checks first: `widgets.schemas`).

The websocket frames are in `chat.protocol`; docs/protocol.md documents both. The test suite
checks every answer of a widget endpoint it receives against these schemas
(tests/protocol.py), and that every endpoint here is named in docs/protocol.md.

additionalProperties policy: the answers of the chat endpoints are closed (a field sent
without documenting it fails). `GET /widget/config` and `/widget/availability` answers are
open below their top-level keys: they carry the council's own settings and texts, which grow
with the admin's options, and the widget ignores what it does not know. Request bodies ignore
unknown keys (widgets/schemas.py says why).
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator

from chat.protocol import UUID_PATTERN
from widgets import schemas

STRING = {"type": "string"}
NULLABLE_STRING = {"type": ["string", "null"]}
OPEN_OBJECT = {"type": "object"}
UUID = {"type": "string", "pattern": UUID_PATTERN}


def _obj(required: dict[str, Any], optional: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {**required, **(optional or {})},
        "required": list(required),
        "additionalProperties": False,
    }


ERRORS = _obj(
    {
        "errors": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": STRING},
        }
    },
    {"council": STRING},
)
ERROR = _obj({"error": STRING}, {"detail": STRING})
# reliability/validation.py's refusal of a hostile body (docs/protocol.md, hostile input).
INVALID_INPUT = _obj(
    {
        "error": {"const": "invalid_input"},
        "detail": STRING,
        "errors": {"type": "object", "additionalProperties": {"type": "array", "items": STRING}},
    }
)
UNAVAILABLE = _obj(
    {"error": {"enum": ["unavailable", "busy"]}, "detail": STRING, "retry": {"const": True}}
)
RATE_LIMITED = _obj(
    {"error": {"const": "rate_limited"}, "detail": STRING, "retry_after": {"type": "integer"}}
)
OFFLINE = _obj(
    {
        "error": {"const": "offline"},
        "reason": {"enum": ["closed", "no_operator_online", "queue_full"]},
        "detail": STRING,
        "next_open": NULLABLE_STRING,
        "next_open_text": STRING,
    }
)
AVAILABILITY = {
    "type": "object",
    "required": ["online", "reason", "next_open", "next_open_text", "hours"],
    "properties": {
        "online": {"type": "boolean"},
        "reason": {"enum": [None, "closed", "no_operator_online", "queue_full"]},
        "next_open": NULLABLE_STRING,
        "next_open_text": STRING,
        "hours": {"type": "array"},
    },
}


def _endpoints() -> dict[str, dict[str, Any]]:
    """{"METHOD path pattern": {"request": schema or None, "responses": {status: schema}}}."""
    after_chat = {400: ERRORS, 401: ERROR, 403: ERROR, 404: ERROR, 429: RATE_LIMITED}
    return {
        "GET /widget/config": {
            "request": None,
            "responses": {
                200: {
                    "type": "object",
                    "required": [
                        "kind",
                        "council",
                        "departments",
                        "councils",
                        "message_max_chars",
                        "language",
                        "languages",
                        "strings",
                        "availability",
                    ],
                    "properties": {
                        "kind": {"enum": ["council", "partnership"]},
                        "council": {"type": ["object", "null"]},
                        "councils": {"type": "array", "items": OPEN_OBJECT},
                        "departments": {"type": "array", "items": OPEN_OBJECT},
                        "message_max_chars": {"type": "integer"},
                        "languages": {"type": "array", "items": {"enum": ["en", "cy"]}},
                        "strings": {"type": "object", "additionalProperties": STRING},
                        "availability": AVAILABILITY,
                    },
                },
            },
        },
        "GET /widget/availability": {
            "request": None,
            "responses": {
                200: _obj(
                    {
                        "availability": AVAILABILITY,
                        "councils": {"type": "object", "additionalProperties": AVAILABILITY},
                    }
                ),
            },
        },
        "POST /widget/conversations": {
            "request": schemas.CHAT_START,
            "responses": {
                201: _obj(
                    {
                        "conversation": UUID,
                        "token": STRING,
                        "websocket": STRING,
                        "council": STRING,
                        "department": NULLABLE_STRING,
                        "status": {"enum": ["queued", "active", "bot"]},
                        "last_seq": {"type": "integer", "minimum": 1},
                        "routed_by": OPEN_OBJECT,
                    }
                ),
                400: ERRORS,
                403: ERROR,
                409: OFFLINE,
                429: RATE_LIMITED,
            },
        },
        "POST /widget/enquiries": {
            "request": schemas.ENQUIRY,
            "responses": {201: _obj({"enquiry": UUID}), 400: ERRORS, 403: ERROR, 429: RATE_LIMITED},
        },
        "POST /widget/conversations/<uuid>/rating": {
            "request": schemas.RATING,
            "responses": {204: None, **after_chat},
        },
        "POST /widget/conversations/<uuid>/transcript": {
            "request": schemas.TRANSCRIPT,
            "responses": {204: None, **after_chat},
        },
        "GET /widget/conversations/<uuid>/transcript": {
            "request": None,
            "responses": {
                200: _obj({"status": {"enum": ["none", "pending", "sent", "failed"]}}),
                401: ERROR,
                403: ERROR,
                404: ERROR,
            },
        },
        "POST /widget/conversations/<uuid>/end": {
            "request": schemas.END,
            "responses": {204: None, **after_chat},
        },
    }


def _pattern(key: str) -> re.Pattern[str]:
    method, _, path = key.partition(" ")
    return re.compile(
        "^"
        + method
        + " "
        + re.escape(path).replace(re.escape("<uuid>"), "[0-9a-fA-F-]{32,36}")
        + "$"
    )


@cache
def endpoints() -> dict[str, dict[str, Any]]:
    # Any endpoint: an unknown host or address (404), the wrong method (405), the database
    # away or the process busy (503); a NUL in the query string or a hostile body (400
    # invalid_input), or a request Django cannot read (400 bad_request: a Host not allowed,
    # too many query fields, a broken multipart body; reliability/views.py).
    common = {404: ERROR, 405: ERROR, 503: UNAVAILABLE}
    out = {}
    for key, spec in _endpoints().items():
        responses = {**common, **spec["responses"]}
        responses[400] = {"anyOf": [responses.get(400, ERROR), ERROR, INVALID_INPUT]}
        out[key] = {**spec, "responses": responses}
    return out


def endpoint_for(method: str, path: str) -> str | None:
    """The documented endpoint ("POST /widget/conversations") a request goes to, if any."""
    for key in endpoints():
        if _pattern(key).match(f"{method} {path}"):
            return key
    return None


@cache
def _validator(schema_key: str, part: str, status: int | None) -> Draft202012Validator | None:
    spec = endpoints()[schema_key]
    schema = spec["request"] if part == "request" else spec["responses"].get(status, False)
    if schema is None or schema is False:
        return None
    return Draft202012Validator(schema)


def _problem(validator: Draft202012Validator, body: Any) -> str | None:
    error = next(iter(sorted(validator.iter_errors(body), key=lambda e: e.path)), None)
    if error is None:
        return None
    where = ".".join(str(part) for part in error.absolute_path)
    return f"{where}: {error.message}" if where else error.message


def validate_request(endpoint: str, body: Any) -> str | None:
    """None when `body` (parsed JSON) is a valid request body for `endpoint`."""
    validator = _validator(endpoint, "request", None)
    return None if validator is None else _problem(validator, body)


def validate_response(endpoint: str, status: int, body: Any) -> str | None:
    """None when `body` is what `endpoint` documents for `status`, else what is wrong."""
    responses = endpoints()[endpoint]["responses"]
    if status not in responses:
        return f"{endpoint} does not document status {status}."
    validator = _validator(endpoint, "response", status)
    if validator is None:
        return None if body is None else f"{endpoint} answers {status} with no body."
    return _problem(validator, body)
