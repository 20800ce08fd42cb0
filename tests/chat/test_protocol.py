"""chat/protocol.py: the JSON Schemas are valid, cover every frame, and mean what they say.

Every frame the suite sends or receives over a websocket is checked against them by
tests/protocol.py; these tests check the schemas themselves.
"""

from __future__ import annotations

import pytest
from jsonschema import Draft202012Validator

from chat import frames
from chat.protocol import schemas, validate_client_frame, validate_server_frame

CONVERSATION = "0b7c7d8e-1f2a-4b3c-9d4e-5f6a7b8c9d0e"


def test_every_schema_is_a_valid_json_schema():
    for socket in ("visitor", "operator"):
        for direction in ("client", "server"):
            for frame_type, schema in schemas()[socket][direction].items():
                Draft202012Validator.check_schema({**schema, "$defs": schemas()["$defs"]})
                assert schema["properties"]["type"] == {"const": frame_type}


@pytest.mark.parametrize(
    ("socket", "frame"),
    [
        # What widgets/static/widgets/embed.js sends.
        ("visitor", {"type": "message", "client_id": "c-1", "body": "Hello"}),
        ("visitor", {"type": "typing", "active": True}),
        ("visitor", {"type": "read", "seq": 3}),
        ("visitor", {"type": "end"}),
        ("visitor", {"type": "resume", "after_seq": 0}),
        # What chat/static/console/console.js sends.
        ("operator", {"type": "accept", "conversation": CONVERSATION}),
        (
            "operator",
            {"type": "message", "conversation": CONVERSATION, "client_id": "o", "body": "Hi"},
        ),
        ("operator", {"type": "end", "conversation": CONVERSATION, "outcome": "resolved"}),
        ("operator", {"type": "resume", "conversation": CONVERSATION, "after_seq": 4}),
        ("operator", {"type": "typing", "conversation": CONVERSATION, "active": False}),
        ("operator", {"type": "presence", "status": "away"}),
        ("operator", {"type": "transfer", "conversation": CONVERSATION, "to": {"operator": 7}}),
        ("operator", {"type": "transfer", "conversation": CONVERSATION, "to": {"council": "beta"}}),
        ("operator", {"type": "note", "conversation": CONVERSATION, "client_id": "n", "body": "x"}),
        ("operator", {"type": "context", "conversation": CONVERSATION}),
        ("operator", {"type": "followups"}),
        ("operator", {"type": "sync"}),
        ("operator", {"type": "handle", "kind": "missed", "id": CONVERSATION, "note": ""}),
    ],
)
def test_the_frames_our_clients_send_are_valid(socket, frame):
    assert validate_client_frame(socket, frame) is None


@pytest.mark.parametrize(
    ("socket", "frame", "problem"),
    [
        ("visitor", [1, 2], "A frame is a JSON object with a type."),
        ("visitor", {"type": "launch"}, "Unknown frame type 'launch'."),
        ("visitor", {"type": "message", "body": "no id"}, "'client_id' is a required property"),
        ("visitor", {"type": "message", "client_id": "c", "body": "x", "to": "all"}, "Additional"),
        ("visitor", {"type": "message", "client_id": "c" * 65, "body": "x"}, "client_id:"),
        ("visitor", {"type": "read", "seq": "2"}, "seq: '2' is not of type 'integer'"),
        ("operator", {"type": "accept", "conversation": "42"}, "conversation:"),
        ("operator", {"type": "transfer", "conversation": CONVERSATION, "to": {"x": 1}}, "to:"),
        ("operator", {"type": "read", "seq": 1}, "Unknown frame type 'read'."),
    ],
)
def test_frames_the_protocol_refuses_are_named_with_the_reason(socket, frame, problem):
    assert problem in (validate_client_frame(socket, frame) or "")


def test_a_server_frame_with_an_undocumented_field_or_type_is_refused():
    read = frames.read(CONVERSATION, 3)
    assert validate_server_frame("operator", read) is None
    assert "Additional properties" in validate_server_frame("operator", {**read, "by": "Sam"})
    assert validate_server_frame("visitor", read) == "Unknown frame type 'read'."


def test_the_queue_remove_reasons_include_automatic_assignment():
    for reason in ("accepted", "assigned", "ended", "missed"):
        assert validate_server_frame("operator", frames.queue_remove(CONVERSATION, reason)) is None


def _open_objects(schema, where: str) -> list[str]:
    """Paths of object schemas below `schema` that accept fields they do not name."""
    found = []
    if isinstance(schema, dict):
        if schema.get("type") == "object" and schema.get("additionalProperties") is not False:
            found.append(where)
        for key, value in schema.items():
            found += _open_objects(value, f"{where}.{key}")
    elif isinstance(schema, list):
        for n, value in enumerate(schema):
            found += _open_objects(value, f"{where}[{n}]")
    return found


def test_every_client_frame_schema_is_closed_and_every_string_has_a_bound_or_a_pattern():
    all_schemas = schemas()
    defs = all_schemas["$defs"]
    for socket in ("visitor", "operator"):
        for frame_type, schema in all_schemas[socket]["client"].items():
            assert _open_objects(schema, frame_type) == []
            for name, field in schema["properties"].items():
                field = defs[field["$ref"].rsplit("/", 1)[1]] if "$ref" in field else field
                if field.get("type") == "string":
                    assert "maxLength" in field or "pattern" in field, (frame_type, name)
