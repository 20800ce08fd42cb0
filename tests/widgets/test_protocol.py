"""widgets/protocol.py: the widget's HTTP bodies as JSON Schema, checked on every answer the
tests receive (tests/protocol.py); here, the schemas themselves and their documentation."""

from __future__ import annotations

import re
from pathlib import Path

from jsonschema import Draft202012Validator

from widgets.protocol import endpoint_for, endpoints, validate_request, validate_response

DOC = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"
CONVERSATION = "0b7c7d8e-1f2a-4b3c-9d4e-5f6a7b8c9d0e"


def test_every_schema_is_valid_and_every_endpoint_is_documented():
    doc = DOC.read_text(encoding="utf-8")
    for key, spec in endpoints().items():
        for schema in [spec["request"], *spec["responses"].values()]:
            if schema is not None:
                Draft202012Validator.check_schema(schema)
        method, _, path = key.partition(" ")
        assert re.search(rf"`{method} {re.escape(path)}`", doc), f"{key} not in docs/protocol.md"


def test_requests_are_matched_to_their_endpoint():
    assert endpoint_for("POST", f"/widget/conversations/{CONVERSATION}/end") == (
        "POST /widget/conversations/<uuid>/end"
    )
    assert endpoint_for("POST", "/widget/conversations") == "POST /widget/conversations"
    assert endpoint_for("GET", "/widget/embed.js") is None


def test_an_undocumented_field_or_status_is_refused():
    start = "POST /widget/conversations"
    assert validate_request(start, {"name": "Sam", "message": "Hello", "language": "cy"}) is None
    assert "is not of type" in validate_request(start, {"name": ["Sam"], "message": "Hi"})
    assert validate_response(start, 418, {}) == f"{start} does not document status 418."
    answer = {"enquiry": CONVERSATION}
    assert validate_response("POST /widget/enquiries", 201, answer) is None
    assert validate_response("POST /widget/enquiries", 201, {**answer, "x": 1}) is not None
