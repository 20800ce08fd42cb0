"""The assistant in a chat, through the widget's HTTP API and the real websockets: each
mode, answers as seq 2, handoff with and without an operator, safety, feedback."""

from __future__ import annotations

import json

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.test import Client
from django_tenants.utils import schema_context

from assistant.models import AssistantSettings, Turn
from chat.models import Conversation, Message
from tests.assistant.conftest import seed_assistant
from tests.conftest import put_online
from tests.sockets import (
    drain,
    login_session,
    next_of_type,
    open_socket,
    operator_socket,
    visitor_socket,
)

pytestmark = pytest.mark.usefixtures("assistant_councils", "manual_assignment")


def start(question: str, host: str = "alpha.localhost", **extra) -> dict:
    body = {"name": "Jo", "message": question, "page_url": "https://www.alpha.gov.uk/", **extra}
    response = Client(HTTP_HOST=host).post(
        "/widget/conversations", data=json.dumps(body), content_type="application/json"
    )
    return {"status_code": response.status_code, **response.json()}


def set_mode(council, mode: str) -> None:
    with schema_context(council.schema_name):
        AssistantSettings.objects.filter(pk=1).update(mode=mode)


def messages(council, conversation_id) -> list[Message]:
    with schema_context(council.schema_name):
        return list(Message.objects.filter(conversation_id=conversation_id).order_by("seq"))


def availability(host: str = "alpha.localhost") -> dict:
    return Client(HTTP_HOST=host).get("/widget/availability").json()["availability"]


# ---- modes ----------------------------------------------------------------------------------


def test_mode_first_answers_the_question_at_once_as_seq_2(councils):
    put_online(councils.alpha)  # operators online make no difference in mode first
    chat = start("How do I pay my parking ticket?")
    assert (chat["status_code"], chat["status"], chat["last_seq"]) == (201, "bot", 2)
    first, answer = messages(councils.alpha, chat["conversation"])
    assert (first.seq, first.author, first.body) == (
        1,
        "visitor",
        "How do I pay my parking ticket?",
    )
    assert (answer.seq, answer.author) == (2, "bot")
    assert answer.body == "Pay your PCN online with its number, or call 01305 221000."
    assert answer.extra["answer_key"] == "pay-parking-fine"
    assert answer.extra["links"][0] == {"url": "/parking/pay", "text": "Pay a parking fine"}
    assert answer.extra["safety"] is False


def test_mode_first_says_chat_is_available_with_nobody_online(councils):
    assert availability()["online"] is True
    assert availability()["assistant"] is True  # only present when true
    config = Client(HTTP_HOST="alpha.localhost").get("/widget/config").json()
    assert config["council"]["assistant"]["disclosure"] == (
        "I'm an automated assistant. You can ask for a person at any time."
    )
    config_cy = Client(HTTP_HOST="alpha.localhost").get("/widget/config", {"lang": "cy"}).json()
    assert config_cy["council"]["assistant"] is not None


def test_mode_out_of_hours_takes_only_chats_that_would_get_the_offline_window(councils):
    set_mode(councils.alpha, "out_of_hours")
    nobody = start("pay a parking fine")
    assert (nobody["status_code"], nobody["status"]) == (201, "bot")
    assert availability()["online"] is True

    put_online(councils.alpha)
    staffed = start("pay a parking fine")
    assert (staffed["status_code"], staffed["status"], staffed["last_seq"]) == (201, "queued", 1)


def test_mode_off_leaves_chats_to_people_and_the_offline_window(councils):
    set_mode(councils.alpha, "off")
    refused = start("pay a parking fine")
    assert (refused["status_code"], refused["error"]) == (409, "offline")
    assert availability()["online"] is False
    put_online(councils.alpha)
    assert start("pay a parking fine")["status"] == "queued"
    config = Client(HTTP_HOST="alpha.localhost").get("/widget/config").json()
    assert config["council"]["assistant"] is None


def test_a_question_the_assistant_cannot_answer_says_so_and_stays_with_the_assistant(councils):
    chat = start("what is the weather tomorrow")
    assert chat["status"] == "bot"
    answer = messages(councils.alpha, chat["conversation"])[1]
    assert answer.extra["answer_key"] is None
    assert "not sure" in answer.body
    with schema_context(councils.alpha.schema_name):
        turn = Turn.objects.get(conversation_id=chat["conversation"])
    assert (turn.kind, turn.question) == ("not_sure", "what is the weather tomorrow")


def test_an_answer_with_markup_is_stored_and_sent_as_plain_text(councils):
    chat = start("show me the markup answer")
    answer = messages(councils.alpha, chat["conversation"])[1]
    # Verbatim: the widget and console put it in textContent, so nothing in it ever runs.
    assert answer.body == "<img src=x onerror=alert(1)><script>alert(2)</script> Read this"


# ---- safety ---------------------------------------------------------------------------------


def test_a_safety_message_gets_the_emergency_message_and_the_front_of_the_queue(councils):
    put_online(councils.alpha)
    waiting = start("pay a parking fine")  # a bot chat, not queued
    earlier = start("talk to a person")  # queued normally
    assert earlier["status"] == "queued"
    chat = start("Im scared, my partner hits me")
    assert chat["status"] == "queued"
    stored = messages(councils.alpha, chat["conversation"])
    emergency = stored[1]
    assert (emergency.author, emergency.extra["safety"], emergency.extra["answer_key"]) == (
        "bot",
        True,
        None,
    )
    assert "999" in emergency.body
    with schema_context(councils.alpha.schema_name):
        order = list(
            Conversation.objects.filter(status="queued")
            .order_by("-priority", "queued_at")
            .values_list("id", flat=True)
        )
    assert str(order[0]) == chat["conversation"]
    assert waiting["status"] == "bot"


def test_a_welsh_safety_message_gets_the_welsh_emergency_message(councils):
    chat = start("mae tan yn y ty", language="cy")
    assert chat["status"] == "bot"  # nobody online: the emergency message stands alone
    emergency = messages(councils.alpha, chat["conversation"])[1]
    assert emergency.extra["safety"] is True
    assert "ffoniwch 999" in emergency.body


# ---- on the socket --------------------------------------------------------------------------


async def bot_chat(question: str = "pay a parking fine"):
    chat = await sync_to_async(start)(question)
    assert chat["status"] == "bot", chat
    visitor = visitor_socket(chat["conversation"], chat["token"], host="alpha.localhost")
    hello = await open_socket(visitor)
    assert hello["status"] == "bot"
    return chat, visitor


async def test_each_visitor_message_in_bot_status_is_answered_by_the_assistant(councils):
    _chat, visitor = await bot_chat()
    await visitor.send_json_to({"type": "message", "client_id": "c1", "body": "report a pothole"})
    ack = await next_of_type(visitor, "ack")
    assert ack["seq"] == 3
    await next_of_type(visitor, "message")  # the visitor's own message, seq 3
    answer = await next_of_type(visitor, "message")
    assert answer["seq"] == 4
    assert (answer["author"], answer["answer_key"]) == ("bot", "report-pothole")
    assert answer["links"] == [
        {"url": "https://alpha.example/potholes", "text": "Report a pothole"}
    ]
    assert isinstance(answer["suggestions"], list) and len(answer["suggestions"]) <= 3
    await visitor.disconnect()


async def test_the_answer_reaches_the_visitor_once_even_when_the_channel_layer_drops_it(
    councils, monkeypatch
):
    """The answer is sent straight back on the asking socket: a dropped (or slow) layer
    message costs the resident nothing, and the group's copy, when it comes, is not shown
    twice."""
    _chat, visitor = await bot_chat()
    layer_class = type(get_channel_layer())

    async def dropped(self, group, message):  # channels_redis losing the doorbell
        return None

    monkeypatch.setattr(layer_class, "group_send", dropped)
    await visitor.send_json_to({"type": "message", "client_id": "c1", "body": "report a pothole"})
    got = await drain(visitor, quiet_for=1.0)
    shown = [(f["seq"], f["author"]) for f in got if f["type"] == "message"]
    assert shown == [(3, "visitor"), (4, "bot")]
    assert [f["seq"] for f in got if f["type"] == "ack"] == [3]

    monkeypatch.undo()
    await visitor.send_json_to({"type": "message", "client_id": "c2", "body": "bin day"})
    got = await drain(visitor, quiet_for=1.0)
    assert [f["seq"] for f in got if f["type"] == "message"] == [5, 6]  # each once
    await visitor.disconnect()


async def test_handoff_with_an_operator_online_queues_the_chat_and_the_operator_sees_the_exchange(
    councils,
):
    await sync_to_async(put_online)(councils.alpha, "alex")
    chat, visitor = await bot_chat()
    await visitor.send_json_to({"type": "handoff"})
    status = await next_of_type(visitor, "status")
    assert status["status"] == "queued"

    operator = operator_socket(councils.alpha, await login_session(councils.alpha, "alex"))
    hello = await open_socket(operator)
    assert [c["id"] for c in hello["queue"]] == [chat["conversation"]]
    await operator.send_json_to({"type": "accept", "conversation": chat["conversation"]})
    await next_of_type(operator, "accepted")
    assert (await next_of_type(visitor, "status"))["status"] == "active"
    await operator.send_json_to(
        {"type": "resume", "conversation": chat["conversation"], "after_seq": 0}
    )
    seen = []
    while True:
        frame = await operator.receive_json_from(timeout=5)
        if frame["type"] == "resumed":
            break
        if frame["type"] == "message":
            seen.append((frame["seq"], frame["author"], frame.get("answer_key")))
    assert seen[:2] == [(1, "visitor", None), (2, "bot", "pay-parking-fine")]
    assert (3, "bot", None) in seen  # "You asked to talk to a person…"
    await operator.disconnect()
    await visitor.disconnect()


async def test_handoff_with_nobody_available_answers_offline_and_keeps_the_chat(councils):
    chat, visitor = await bot_chat()
    await visitor.send_json_to({"type": "handoff"})
    offline = await next_of_type(visitor, "offline")
    assert offline["reason"] == "no_operator_online"
    assert offline["mode"] in ("hours", "contact", "links")
    for field in ("message", "links", "hours", "contact_form", "next_open_text"):
        assert field in offline

    # typed, in Welsh or English, it is the same request
    await visitor.send_json_to({"type": "message", "client_id": "c1", "body": "speak to someone"})
    await next_of_type(visitor, "ack")
    assert (await next_of_type(visitor, "offline"))["reason"] == "no_operator_online"

    @sync_to_async
    def status():
        with schema_context(councils.alpha.schema_name):
            return Conversation.objects.get(id=chat["conversation"]).status

    assert await status() == "bot"
    await visitor.disconnect()


@pytest.mark.invalid_frames  # a seq given as a string, on purpose
async def test_feedback_is_stored_once_per_answer(councils):
    chat, visitor = await bot_chat()
    await visitor.send_json_to({"type": "feedback", "seq": 2, "helpful": False})
    assert await next_of_type(visitor, "feedback") == {
        "type": "feedback",
        "seq": 2,
        "helpful": False,
    }
    await visitor.send_json_to({"type": "feedback", "seq": 2, "helpful": True})
    await next_of_type(visitor, "feedback")
    await visitor.send_json_to({"type": "feedback", "seq": 1, "helpful": True})
    assert (await next_of_type(visitor, "error"))["code"] == "not_found"
    await visitor.send_json_to({"type": "feedback", "seq": "2", "helpful": True})
    assert (await next_of_type(visitor, "error"))["code"] == "invalid_frame"

    @sync_to_async
    def stored():
        with schema_context(councils.alpha.schema_name):
            return list(
                Turn.objects.filter(conversation_id=chat["conversation"]).values_list(
                    "seq", "helpful"
                )
            )

    assert await stored() == [(2, True)]
    await visitor.disconnect()


def test_the_assistants_report_counts_resolved_handed_off_feedback_and_unanswered(councils):
    from datetime import timedelta

    from django.utils import timezone

    from assistant.selectors import assistant_report

    start("what is the weather tomorrow")
    start("what is the weather tomorrow")
    start("pay a parking fine")
    put_online(councils.alpha)
    start("talk to a person")
    with schema_context(councils.alpha.schema_name):
        now = timezone.now()
        report = assistant_report(now - timedelta(hours=1), now + timedelta(minutes=1))
    assert report["chats"] == 4
    assert report["handed_off"] == 1
    assert report["answers"] == 1
    assert report["top_unanswered"][0] == {
        "question": "what is the weather tomorrow",
        "language": "en",
        "times": 2,
    }


def test_another_councils_assistant_settings_do_not_apply(councils):
    seed_assistant(
        councils.gamma,
        mode="off",
        text="key,language,questions,answer,link_url,link_text,department\n",
    )
    chat = start("pay a parking fine", host="gamma.localhost")
    assert (chat["status_code"], chat["error"]) == (409, "offline")
