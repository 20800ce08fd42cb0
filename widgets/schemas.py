"""JSON Schemas of the widget's public POST bodies (reliability.validation checks them).

They fix the *types* (Django's forms would turn a list into the text "[...]" and store it);
lengths, formats and the council's own pre-chat rules stay in widgets/forms.py. Unknown keys
are ignored (an older or newer widget may send more), but still pass the generic checks.
"""

from __future__ import annotations

from typing import Any

from widgets.forms import MAX_FIELD_NAME, MAX_FIELD_VALUE, MAX_FIELDS

_TEXT_OR_NULL = {"type": ["string", "null"]}

PRECHAT_FIELDS: dict[str, Any] = {
    "type": ["object", "null"],
    "maxProperties": MAX_FIELDS,
    "propertyNames": {"maxLength": MAX_FIELD_NAME},
    "additionalProperties": {
        "type": ["string", "boolean", "integer", "null"],
        "maxLength": MAX_FIELD_VALUE,
    },
}

CHAT_START: dict[str, Any] = {
    "type": "object",
    "properties": {
        "name": _TEXT_OR_NULL,
        "message": _TEXT_OR_NULL,
        "department": _TEXT_OR_NULL,
        "council": _TEXT_OR_NULL,
        "page_url": _TEXT_OR_NULL,
        "postcode": _TEXT_OR_NULL,
        "language": _TEXT_OR_NULL,
        "fields": PRECHAT_FIELDS,
    },
}

ENQUIRY: dict[str, Any] = {
    "type": "object",
    "properties": {
        **CHAT_START["properties"],
        "email": _TEXT_OR_NULL,
        "phone": _TEXT_OR_NULL,
        "reason": _TEXT_OR_NULL,
    },
}

_TOKEN = {"token": _TEXT_OR_NULL}

RATING: dict[str, Any] = {
    "type": "object",
    "properties": {
        **_TOKEN,
        "rating": {"type": ["integer", "string"], "maxLength": 2},
        "comment": _TEXT_OR_NULL,
    },
}

TRANSCRIPT: dict[str, Any] = {
    "type": "object",
    "properties": {**_TOKEN, "email": _TEXT_OR_NULL},
}

END: dict[str, Any] = {
    "type": "object",
    "properties": {**_TOKEN, "quick_exit": {"type": ["boolean", "null"]}},
}
