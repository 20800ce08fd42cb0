"""Hostile input to the widget's public POSTs: a clear 400 JSON error, nothing stored, never a
500 (issue 12: nested JSON, a non-string email answer, NUL, lone surrogates and 2^64 all
answered 500 or broke live delivery)."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from chat.models import Conversation, Enquiry
from outbox.models import OutboxItem
from tests.factories import chat_in
from tests.widgets.factories import prechat_field_in

pytestmark = pytest.mark.usefixtures("staffed")


def post(host: str, path: str, raw: str | bytes, token: str | None = None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return Client(HTTP_HOST=host).post(path, data=raw, content_type="application/json", **headers)


def chat_body(**overrides) -> dict:
    return {"name": "Jo", "message": "Can I pay in instalments?", **overrides}


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


LONE_SURROGATE = '"\\ud800"'  # valid JSON, not valid Unicode text
NUL = '"a\\u0000b"'

HOSTILE_CHAT_BODIES = {
    "deeply nested (beyond Python's recursion limit)": (
        '{"name": "Jo", "message": "Hi", "fields": {"x": ' + nested(100_000) + "}}"
    ),
    "nested a little too deep": '{"name": "Jo", "message": "Hi", "x": ' + nested(7) + "}",
    "a list as the name": json.dumps(chat_body(name=["Jo", "Bloggs"])),
    "an object as the question": json.dumps(chat_body(message={"text": "Hi"})),
    "a number as the name": json.dumps(chat_body(name=7)),
    "NUL in the name": '{"name": ' + NUL + ', "message": "Hi"}',
    "NUL in a pre-chat answer": '{"name": "Jo", "message": "Hi", "fields": {"ref": ' + NUL + "}}",
    "NUL in a pre-chat key": '{"name": "Jo", "message": "Hi", "fields": {"a\\u0000": "x"}}',
    "a lone surrogate in the name": '{"name": ' + LONE_SURROGATE + ', "message": "Hi"}',
    "a lone surrogate in the question": '{"name": "Jo", "message": ' + LONE_SURROGATE + "}",
    "2^64 as a pre-chat answer": json.dumps(chat_body(fields={"ref": 2**64})),
    "-2^63 as a pre-chat answer": json.dumps(chat_body(fields={"ref": -(2**63)})),
    "NaN as a pre-chat answer": '{"name": "Jo", "message": "Hi", "fields": {"ref": NaN}}',
    "Infinity as a pre-chat answer": '{"name": "Jo", "message": "Hi", "fields": {"r": Infinity}}',
    "invalid UTF-8": b'{"name": "\xff\xfe", "message": "Hi"}',
}


@pytest.mark.parametrize("raw", HOSTILE_CHAT_BODIES.values(), ids=HOSTILE_CHAT_BODIES.keys())
def test_given_hostile_input_when_a_chat_is_started_then_400_with_a_reason_and_nothing_stored(
    councils, raw
):
    response = post("alpha.localhost", "/widget/conversations", raw)
    assert response.status_code == 400, response.content[:300]
    body = response.json()
    assert body["error"] == "invalid_input" and body["detail"]
    assert body["errors"]  # the widget shows these beside the fields
    with schema_context(councils.alpha.schema_name):
        assert Conversation.objects.count() == 0


@pytest.mark.parametrize("raw", HOSTILE_CHAT_BODIES.values(), ids=HOSTILE_CHAT_BODIES.keys())
def test_given_hostile_input_when_an_enquiry_is_left_then_400_and_nothing_stored(councils, raw):
    if isinstance(raw, str) and raw.startswith("{"):
        raw = raw.replace("{", '{"email": "jo@example.com", ', 1)
    response = post("alpha.localhost", "/widget/enquiries", raw)
    assert response.status_code == 400, response.content[:300]
    with schema_context(councils.alpha.schema_name):
        assert Enquiry.objects.count() == 0
        assert OutboxItem.objects.count() == 0


@pytest.mark.parametrize("answer", [7, True, 2**53, ["jo@example.com"]])
def test_given_a_non_text_answer_to_the_councils_email_question_then_400_not_500(councils, answer):
    prechat_field_in(councils.alpha, "contact", kind="email", required=True)
    response = post(
        "alpha.localhost",
        "/widget/conversations",
        json.dumps(chat_body(fields={"contact": answer})),
    )
    assert response.status_code == 400, response.content[:300]
    assert "fields" in response.json()["errors"] or "fields.contact" in response.json()["errors"]
    with schema_context(councils.alpha.schema_name):
        assert Conversation.objects.count() == 0


def test_given_the_largest_safe_number_as_an_answer_then_the_chat_starts(councils):
    response = post(
        "alpha.localhost",
        "/widget/conversations",
        json.dumps(chat_body(fields={"ref": 2**53 - 1})),
    )
    assert response.status_code == 201, response.content[:300]


@pytest.mark.parametrize(
    ("path", "raw"),
    [
        ("transcript", '{"email": ' + LONE_SURROGATE + "}"),
        ("transcript", '{"email": {"a": "jo@example.com"}}'),
        ("transcript", '{"email": "jo@example.com", "x": ' + nested(50) + "}"),
        ("rating", '{"rating": 99999999999999999999999}'),
        ("rating", '{"rating": 4, "comment": ' + NUL + "}"),
        ("rating", '{"rating": [4]}'),
        ("end", '{"quick_exit": "yes please"}'),
    ],
)
def test_given_hostile_input_to_a_chats_own_posts_then_400_and_the_chat_is_unchanged(
    councils, path, raw
):
    chat = chat_in(councils.alpha)
    response = post("alpha.localhost", f"/widget/conversations/{chat.id}/{path}", raw, chat.token)
    assert response.status_code == 400, response.content[:300]
    with schema_context(councils.alpha.schema_name):
        conversation = Conversation.objects.get(id=chat.id)
        assert conversation.status == "queued"
        assert conversation.rating is None and conversation.transcript_email == ""
        assert OutboxItem.objects.count() == 0
