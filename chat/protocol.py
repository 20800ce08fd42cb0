"""The websocket protocol as JSON Schema (draft 2020-12): the executable contract.

Every frame of both sockets in both directions has a schema here. The test suite checks every
frame it sends or receives over a websocket against them (tests/protocol.py), and that each
frame type here is documented in docs/protocol.md and the other way round.

additionalProperties policy:
- client → server: `false`. A field the server does not read is refused, so a typo
  (`clientid`) or a client inventing fields is caught rather than silently ignored. These
  schemas are the input-validation layer: the consumers check every frame against its
  schema before its handler (`chat.consumers.frame_refusal`) and answer an `error` frame
  (docs/protocol.md, Error codes); every field has its type, length, enum or bounds here.
- server → client: `false` on every frame and on every object whose fields we define, so a
  field added to a frame without its schema (and docs) fails the tests. Objects whose
  content is the council's or the visitor's own (`fields`, `routed_by`, `extra`) are open.
"""

from __future__ import annotations

from functools import cache
from typing import Any, Literal

from django.conf import settings
from jsonschema import Draft202012Validator

from chat.models import OPERATOR_OUTCOMES, Conversation, Message

Socket = Literal["visitor", "operator", "supervisor"]

UUID_PATTERN = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
CLIENT_ID_MAX = 64


def _obj(required: dict[str, Any], optional: dict[str, Any] | None = None) -> dict[str, Any]:
    """A closed object: these fields (the first set required), nothing else."""
    return {
        "type": "object",
        "properties": {**required, **(optional or {})},
        "required": list(required),
        "additionalProperties": False,
    }


def _frame(
    type_: str, required: dict[str, Any], optional: dict[str, Any] | None = None
) -> dict[str, Any]:
    return _obj({"type": {"const": type_}, **required}, optional)


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/$defs/{name}"}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


def _array(schema: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": schema}


STRING = {"type": "string"}
BOOLEAN = {"type": "boolean"}
COUNT = {"type": "integer", "minimum": 0}
TIME = {"type": "string", "format": "date-time"}
OPEN_OBJECT = {"type": "object"}


def _defs() -> dict[str, Any]:
    body_max = settings.MESSAGE_MAX_CHARS
    return {
        "uuid": {"type": "string", "pattern": UUID_PATTERN},
        "client_id": {"type": "string", "minLength": 1, "maxLength": CLIENT_ID_MAX},
        # The server strips surrounding space before it checks the length (at most
        # MESSAGE_MAX_CHARS characters): clients send at most that many.
        "body": {"type": "string", "minLength": 1, "maxLength": body_max},
        "seq": COUNT,
        "status": {"enum": list(Conversation.Status.values)},
        "presence_status": {"enum": ["online", "away", "offline"]},
        "message": _obj(
            {
                "seq": COUNT,
                "author": {"enum": list(Message.Author.values)},
                "name": STRING,
                "body": STRING,
                "client_id": _nullable(STRING),
                "sent_at": TIME,
            },
            {
                "extra": OPEN_OBJECT,
                # An assistant message (author "bot"): docs/protocol.md, Assistant.
                "answer_key": _nullable(STRING),
                "links": _array(_obj({"url": STRING, "text": STRING})),
                "suggestions": {"type": "array", "items": STRING, "maxItems": 3},
                "safety": BOOLEAN,
                # A photo or PDF (issue 15, docs/attachments.md).
                "attachment": _obj(
                    {
                        "id": {"type": "string", "pattern": UUID_PATTERN},
                        "name": STRING,
                        "size": COUNT,
                        "content_type": {
                            "enum": [
                                "image/jpeg",
                                "image/png",
                                "image/gif",
                                "image/webp",
                                "application/pdf",
                            ]
                        },
                        "url": STRING,
                    }
                ),
                # A system message: its line and values (chat/system_messages.py).
                "code": _nullable(STRING),
                "params": OPEN_OBJECT,
            },
        ),
        "summary": _obj(
            {
                "id": _ref("uuid"),
                "status": _ref("status"),
                "visitor_name": STRING,
                "department": _nullable(STRING),
                "department_name": _nullable(STRING),
                "page_url": STRING,
                "fields": OPEN_OBJECT,
                "preview": STRING,
                "created_at": TIME,
                "accepted_at": _nullable(TIME),
                "operator": _nullable(STRING),
                "last_seq": COUNT,
                "language": {"enum": list(Conversation.Language.values)},
                "routed_by": OPEN_OBJECT,
                "queued_at": _nullable(TIME),
                "first_response_at": _nullable(TIME),
                "visitor_read_seq": COUNT,
                "visitor_email": STRING,
                "channel": {"enum": list(Conversation.Channel.values)},
            },
            {
                "queue_position": {"type": "integer", "minimum": 1},
                # The pre-chat answers as staff read them (chat.labels.prechat_answers).
                "answers": _array(
                    _obj({"key": STRING, "label": STRING, "kind": STRING, "value": STRING})
                ),
                # The resident's presence (issue 15), and how an ended chat ended.
                "visitor_presence": {"enum": ["", *Conversation.VisitorPresence.values]},
                "visitor_presence_at": _nullable(TIME),
                "ended_by": {"enum": ["", *Conversation.EndedBy.values]},
                "outcome": {"enum": ["", *Conversation.Outcome.values]},
                "outcome_label": STRING,
                # Messenger and WhatsApp chats (social/): the reply window and templates.
                "social": _obj(
                    {"window_closes_at": _nullable(TIME)},
                    {
                        "human_agent_until": TIME,
                        "templates": _array(
                            _obj(
                                {
                                    "id": {"type": "integer"},
                                    "name": STRING,
                                    "language": STRING,
                                    "body": STRING,
                                }
                            )
                        ),
                    },
                ),
            },
        ),
        "operator_row": _obj(
            {
                "id": {"type": "integer"},
                "name": STRING,
                "status": _ref("presence_status"),
                "active": COUNT,
                "max_chats": {"type": "integer", "minimum": 1},
                "speaks_welsh": BOOLEAN,
            }
        ),
        "enquiry": _obj(
            {
                "id": _ref("uuid"),
                "name": STRING,
                "email": STRING,
                "phone": STRING,
                "message": STRING,
                "department_name": _nullable(STRING),
                "page_url": STRING,
                "reason": STRING,
                "reason_label": STRING,
                "created_at": TIME,
            }
        ),
        "slug_name": _obj({"slug": STRING, "name": STRING}),
        "earlier": _obj(
            {
                "id": _ref("uuid"),
                "created_at": TIME,
                "status": _ref("status"),
                "outcome": STRING,
                "outcome_label": STRING,
                "department_name": _nullable(STRING),
                "operator": _nullable(STRING),
                "preview": STRING,
            }
        ),
    }


# Fields shared by a frame and an object inside another frame.
LOAD = {
    "status": _ref("presence_status"),
    "active": COUNT,
    "max_chats": {"type": "integer", "minimum": 1},
}
NOTE = {
    "id": {"type": "integer"},
    "conversation": _ref("uuid"),
    "client_id": _nullable(STRING),
    "author": STRING,
    "body": STRING,
    "created_at": TIME,
}
TAG = _obj({"slug": STRING, "name": STRING})  # chat.models.Tag (issue 15, point 8)
TAGS_MAX = 20  # chat.actions.tags.TAGS_MAX
FOLLOWUP_LISTS = {
    "enquiries": _array(_ref("enquiry")),
    "missed": _array(_ref("summary")),
}


def _error(optional: dict[str, Any]) -> dict[str, Any]:
    # `retry`: true when the same frame may simply be sent again in a moment (the database
    # was unavailable), false for a server failure (reliability, docs/reliability.md);
    # `retry_after`: the seconds to wait first (a socket over its frame budget).
    return _frame(
        "error",
        {"code": STRING, "detail": STRING},
        {**optional, "retry": BOOLEAN, "retry_after": {"type": "number", "minimum": 0}},
    )


def _message_frame(with_conversation: bool) -> dict[str, Any]:
    fields = dict(_defs()["message"]["properties"])
    optional = (
        "extra",
        "answer_key",
        "links",
        "suggestions",
        "safety",
        "code",
        "params",
        "attachment",
    )
    extra = {name: fields.pop(name) for name in optional}
    if with_conversation:
        fields = {"conversation": _ref("uuid"), **fields}
    return _frame("message", fields, extra)


def _schemas() -> dict[str, dict[str, dict[str, dict[str, Any]]]]:
    uuid, client_id, body = _ref("uuid"), _ref("client_id"), _ref("body")
    outcome = {"enum": ["", *OPERATOR_OUTCOMES]}
    visitor_presence = {"enum": list(Conversation.VisitorPresence.values)}
    visitor_client = {
        "message": _frame("message", {"client_id": client_id, "body": body}),
        "resume": _frame("resume", {}, {"after_seq": COUNT}),
        "typing": _frame("typing", {"active": BOOLEAN}),
        "end": _frame("end", {}),
        "read": _frame("read", {"seq": COUNT}),
        # Presence (issue 15): the widget's page visibility, and a keep-alive.
        "presence": _frame("presence", {"state": {"enum": ["visible", "hidden"]}}),
        "ping": _frame("ping", {}),
        # The council's assistant (docs/protocol.md, Assistant)
        "handoff": _frame("handoff", {}),
        "feedback": _frame(
            "feedback", {"seq": {"type": "integer", "minimum": 1}, "helpful": BOOLEAN}
        ),
    }
    operator_client = {
        "accept": _frame("accept", {"conversation": uuid}),
        "message": _frame(
            "message",
            {"conversation": uuid, "client_id": client_id, "body": body},
            {"tag": {"const": "human_agent"}},
        ),
        "template": _frame(
            "template",
            {
                "conversation": uuid,
                "client_id": client_id,
                "template": {"type": "integer", "minimum": 1},
            },
        ),
        "end": _frame("end", {"conversation": uuid}, {"outcome": _nullable(outcome)}),
        "resume": _frame("resume", {"conversation": uuid}, {"after_seq": COUNT}),
        "typing": _frame("typing", {"conversation": uuid, "active": BOOLEAN}),
        "sync": _frame("sync", {}),
        "ping": _frame("ping", {}),
        "presence": _frame("presence", {"status": _ref("presence_status")}),
        "transfer": _frame(
            "transfer",
            {
                "conversation": uuid,
                "to": {
                    "oneOf": [
                        _obj({"operator": {"type": "integer", "minimum": 1}}),
                        _obj({"department": {"type": "string", "minLength": 1, "maxLength": 50}}),
                        _obj({"council": {"type": "string", "minLength": 1, "maxLength": 63}}),
                    ]
                },
            },
        ),
        "note": _frame("note", {"conversation": uuid, "client_id": client_id, "body": body}),
        "context": _frame("context", {"conversation": uuid}),
        "followups": _frame("followups", {}),
        "handle": _frame(
            "handle",
            {"kind": {"enum": ["enquiry", "missed"]}, "id": uuid},
            {"note": _nullable({"type": "string", "maxLength": settings.MESSAGE_MAX_CHARS})},
        ),
        # Tags on a conversation (issue 15, point 8): the whole set, by slug.
        "tags": _frame(
            "tags", {"conversation": uuid, "tags": {**_array(STRING), "maxItems": TAGS_MAX}}
        ),
    }
    visitor_server = {
        "hello": _frame(
            "hello",
            {
                "conversation": uuid,
                "status": _ref("status"),
                "last_seq": COUNT,
                "operator": _nullable(STRING),
            },
        ),
        "message": _message_frame(with_conversation=False),
        "ack": _frame("ack", {"client_id": STRING, "seq": COUNT}),
        "resumed": _frame("resumed", {"last_seq": COUNT}),
        "status": _frame("status", {"status": _ref("status"), "operator": _nullable(STRING)}),
        "typing": _frame(
            "typing", {"author": {"const": "operator"}, "name": STRING, "active": BOOLEAN}
        ),
        "queue": _frame(
            "queue", {"position": {"type": "integer", "minimum": 1}, "estimated_wait_s": COUNT}
        ),
        "transferred": _frame(
            "transferred",
            {
                "council": _obj(
                    {"slug": STRING, "name": STRING},
                    {"brand_colour": STRING, "text_colour": STRING, "logo_url": STRING},
                ),
                "token": STRING,
                "websocket": STRING,
            },
        ),
        "offline": _frame(
            "offline",
            {
                "reason": {"enum": ["closed", "no_operator_online", "queue_full"]},
                "mode": {"enum": ["hours", "contact", "links"]},
                "message": STRING,
                "detail": STRING,
                "links": _array(_obj({"title": STRING, "url": STRING})),
                "contact_form": BOOLEAN,
                "hours": _array(OPEN_OBJECT),
                "next_open": _nullable(STRING),
                "next_open_text": STRING,
            },
        ),
        "feedback": _frame("feedback", {"seq": COUNT, "helpful": BOOLEAN}),
        "operator_presence": _frame(
            "operator_presence", {"present": BOOLEAN, "operator": _nullable(STRING)}
        ),
        "missed": _frame("missed", {"follow_up": BOOLEAN}),
        "pong": _frame("pong", {}),
        "error": _error({"client_id": STRING}),
    }
    operator_server = {
        "hello": _frame(
            "hello",
            {
                "operator": _obj({"id": {"type": "integer"}, "username": STRING, "name": STRING}),
                "queue": _array(_ref("summary")),
                "active": _array(_ref("summary")),
                "presence": _obj(LOAD),
                "operators": _array(_ref("operator_row")),
                "departments": _array(_ref("slug_name")),
                "councils": _array(_ref("slug_name")),
                "canned": _array(
                    _obj(
                        {
                            "shortcut": STRING,
                            "title": STRING,
                            "body": STRING,
                            "department": _nullable(STRING),
                            "language": {"enum": ["en", "cy"]},  # issue 15
                        }
                    )
                ),
                "followups": _obj(FOLLOWUP_LISTS),
                "outcomes": _array(_obj({"value": STRING, "label": STRING})),
                "tags": _array(TAG),  # issue 15, point 8
            },
        ),
        "message": _message_frame(with_conversation=True),
        "ack": _frame("ack", {"conversation": uuid, "client_id": STRING, "seq": COUNT}),
        "resumed": _frame("resumed", {"conversation": uuid, "last_seq": COUNT}),
        "status": _frame(
            "status",
            {"conversation": uuid, "status": _ref("status"), "operator": _nullable(STRING)},
        ),
        "typing": _frame(
            "typing", {"conversation": uuid, "author": {"const": "visitor"}, "active": BOOLEAN}
        ),
        "accepted": _frame(
            "accepted",
            {"conversation": _ref("summary"), "reason": {"enum": ["accepted", "auto", "transfer"]}},
        ),
        "chat_removed": _frame(
            "chat_removed",
            {"conversation": uuid, "reason": {"enum": ["requeued", "unanswered", "transferred"]}},
        ),
        "queue_add": _frame("queue_add", {"conversation": _ref("summary")}),
        "queue_remove": _frame(
            "queue_remove",
            {
                "conversation": uuid,
                "reason": {"enum": ["accepted", "assigned", "ended", "missed"]},
            },
        ),
        "presence": _frame("presence", LOAD),
        "pong": _frame("pong", {}),
        "visitor_presence": _frame(
            "visitor_presence", {"conversation": uuid, "presence": visitor_presence, "since": TIME}
        ),
        "ended": _frame(
            "ended",
            {
                "conversation": uuid,
                "ended_by": {"enum": ["", *Conversation.EndedBy.values]},
                "outcome": {"enum": ["", *Conversation.Outcome.values]},
                "outcome_label": STRING,
            },
        ),
        "operators": _frame("operators", {"operators": _array(_ref("operator_row"))}),
        "read": _frame("read", {"conversation": uuid, "seq": COUNT}),
        "note": _frame("note", NOTE),
        "context": _frame(
            "context",
            {
                "conversation": uuid,
                "visitor_email": STRING,
                "earlier": _array(_ref("earlier")),
                "notes": _array(_obj(NOTE)),
                "tags": _array(TAG),  # issue 15, point 8
            },
        ),
        "followups": _frame("followups", FOLLOWUP_LISTS),
        "followup_add": _frame(
            "followup_add", {"kind": {"const": "enquiry"}, "item": _ref("enquiry")}
        ),
        "followup_handled": _frame(
            "followup_handled",
            {"kind": {"enum": ["enquiry", "missed"]}, "id": uuid, "by": STRING},
        ),
        "handled": _frame("handled", {"kind": {"enum": ["enquiry", "missed"]}, "id": uuid}),
        "delivery": _frame(
            "delivery",
            {
                "conversation": uuid,
                "seq": COUNT,
                "state": {"enum": ["queued", "sent", "delivered", "read", "failed"]},
            },
            {"error": STRING},
        ),
        "attachments": _frame(
            "attachments",
            {
                "conversation": uuid,
                "seq": COUNT,
                "attachments": _array(
                    _obj(
                        {
                            "id": uuid,
                            "kind": STRING,
                            "state": {"enum": ["pending", "stored", "failed"]},
                        },
                        {
                            "url": STRING,
                            "name": STRING,
                            "content_type": STRING,
                            "size": COUNT,
                            "error": STRING,
                        },
                    )
                ),
            },
        ),
        # The socket's session ended (staffauth.sessions); the server then closes with 4401.
        "signed_out": _frame(
            "signed_out",
            {
                "reason": {
                    "enum": [
                        "signed_out",
                        "signed_out_everywhere",
                        "account_disabled",
                        "session_ended",
                    ]
                }
            },
        ),
        "tags": _frame("tags", {"conversation": uuid, "tags": _array(TAG)}),  # issue 15
        "error": _error({"conversation": STRING, "client_id": STRING, "id": STRING}),
    }
    return {
        "visitor": {"client": visitor_client, "server": visitor_server},
        "operator": {"client": operator_client, "server": operator_server},
        "supervisor": _supervisor_schemas(operator_server),
    }


def _supervisor_schemas(operator_server: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The supervisor's socket (/ws/supervisor/, issue 15): the live view, and chats opened
    read-only, whose frames are the operator socket's."""
    uuid = _ref("uuid")
    chat = _obj(
        {
            "id": uuid,
            "visitor_name": STRING,
            "department_name": _nullable(STRING),
            "accepted_at": _nullable(TIME),
        }
    )
    operator = _obj(
        {
            "id": {"type": "integer"},
            "name": STRING,
            "full_name": STRING,
            "status": _ref("presence_status"),
            "active": COUNT,
            "max_chats": {"type": "integer", "minimum": 1},
            "chats": _array(chat),
        }
    )
    waiting = _obj(
        {
            "id": uuid,
            "visitor_name": STRING,
            "department_name": _nullable(STRING),
            "queued_at": _nullable(TIME),
            "position": {"type": "integer", "minimum": 1},
            "waiting_s": COUNT,
        }
    )
    department = _obj({"slug": _nullable(STRING), "name": STRING, "queued": COUNT, "active": COUNT})
    client = {
        "sync": _frame("sync", {}),
        "watch": _frame("watch", {"conversation": uuid}),
        "unwatch": _frame("unwatch", {"conversation": uuid}),
        "reassign": _frame(
            "reassign", {"conversation": uuid, "operator": {"type": "integer", "minimum": 1}}
        ),
    }
    server = {
        "overview": _frame(
            "overview",
            {
                "operators": _array(operator),
                "queue": _array(waiting),
                "departments": _array(department),
                "today": _obj({"answered": COUNT, "missed": COUNT}),
                "at": TIME,
            },
        ),
        "watching": _frame(
            "watching",
            {"conversation": _ref("summary"), "messages": _array(_ref("message"))},
        ),
        "message": operator_server["message"],
        "status": operator_server["status"],
        "typing": operator_server["typing"],
        "reassigned": _frame(
            "reassigned",
            {"conversation": uuid, "operator": _obj({"id": {"type": "integer"}, "name": STRING})},
        ),
        "signed_out": operator_server["signed_out"],
        "error": _error({"conversation": STRING}),
    }
    return {"client": client, "server": server}


@cache
def schemas() -> dict[str, Any]:
    """{socket: {"client" | "server": {frame type: schema}}, "$defs": shared definitions}."""
    return {**_schemas(), "$defs": _defs()}


@cache
def _validator(socket: Socket, direction: str, frame_type: str) -> Draft202012Validator | None:
    schema = schemas()[socket][direction].get(frame_type)
    if schema is None:
        return None
    root = {**schema, "$defs": schemas()["$defs"]}
    return Draft202012Validator(root, format_checker=Draft202012Validator.FORMAT_CHECKER)


def _validate(socket: Socket, direction: str, frame: Any) -> str | None:
    if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
        return "A frame is a JSON object with a type."
    validator = _validator(socket, direction, frame["type"])
    if validator is None:
        return f"Unknown frame type {frame['type']!r}."
    error = next(iter(sorted(validator.iter_errors(frame), key=lambda e: e.path)), None)
    if error is None:
        return None
    where = ".".join(str(part) for part in error.absolute_path)
    return f"{where}: {error.message}" if where else error.message


def validate_client_frame(socket: Socket, frame: Any) -> str | None:
    """None when `frame` (parsed JSON) is a valid client → server frame of this socket;
    otherwise what is wrong with it, in one sentence."""
    return _validate(socket, "client", frame)


def client_frame_errors(socket: Socket, frame: dict[str, Any]) -> list[Any]:
    """The jsonschema errors of a client frame of a known type (shallowest first); the
    consumers refuse those that mean a wrong shape (reliability, chat/consumers.py)."""
    validator = _validator(socket, "client", frame["type"])
    if validator is None:
        return []
    return sorted(validator.iter_errors(frame), key=lambda e: len(e.absolute_path))


def validate_server_frame(socket: Socket, frame: Any) -> str | None:
    """None when `frame` is a valid server → client frame of this socket, else why not."""
    return _validate(socket, "server", frame)
