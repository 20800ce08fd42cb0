"""The council's assistant on WhatsApp and Messenger (issue 14, point 6), with a real worker
sending through the Graph stand-in: answers from the knowledge, handoff, offline options,
safety."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from chat.models import Conversation, Message
from routing.models import OperatorPresence
from social.models import SocialMessage
from tests.assistant.conftest import assistant_councils, seed_assistant  # noqa: F401 - fixture
from tests.social.conftest import wait_for, worker
from tests.social.helpers import (
    ALPHA_PHONE,
    RESIDENT_PSID,
    RESIDENT_WA,
    messenger_message,
    whatsapp_message,
)
from tests.social.test_inbound import deliver

pytestmark = pytest.mark.usefixtures("assistant_councils", "social")

PARKING_ANSWER = "Pay your PCN online with its number, or call 01305 221000."


def whatsapp(text: str, wamid: str) -> None:
    deliver(whatsapp_message(wamid=wamid, text=text))


def chat_of(council) -> Conversation:
    with schema_context(council.schema_name):
        return Conversation.objects.get(channel__in=("whatsapp", "messenger"))


def stored(council, conversation_id) -> list[Message]:
    with schema_context(council.schema_name):
        return list(Message.objects.filter(conversation_id=conversation_id).order_by("seq"))


def sends(graph, count: int) -> list[dict]:
    return wait_for(lambda: (s := graph.sent()) and len(s) >= count and s, what="the sends")


def nobody_online(council) -> None:
    with schema_context(council.schema_name):
        OperatorPresence.objects.update(status="offline")


def test_a_whatsapp_question_gets_the_knowledge_answer_sent_to_graph_with_links_and_buttons(
    social, graph
):
    with worker():
        whatsapp("How do I pay my parking ticket?", "wamid.Q1")
        (sent,) = sends(graph, 1)
    chat = chat_of(social.alpha)
    assert (chat.status, chat.channel) == ("bot", "whatsapp")
    question, answer = stored(social.alpha, chat.id)
    assert (question.author, answer.author) == ("visitor", "bot")
    assert answer.extra["answer_key"] == "pay-parking-fine"
    assert answer.extra["delivery"] == "sent"
    assert (sent["account"], sent["recipient"]) == (ALPHA_PHONE, RESIDENT_WA)
    body = sent["body"]
    assert body["type"] == "interactive"
    text = body["interactive"]["body"]["text"]
    assert text.startswith(PARKING_ANSWER)
    # A path on the council's site becomes a full address; other links stay as they are.
    assert "Pay a parking fine: https://" in text and "/parking/pay" in text
    assert "Parking on GOV.UK: https://www.gov.uk/parking" in text
    titles = [b["reply"]["title"] for b in body["interactive"]["action"]["buttons"]]
    assert titles[-1] == "Talk to a person"
    assert all(len(t) <= 20 for t in titles)
    with schema_context(social.alpha.schema_name):
        (out,) = SocialMessage.objects.filter(direction="out")
    assert (out.message_id, out.state) == (answer.id, "sent")


def test_a_tapped_talk_to_a_person_button_hands_the_whatsapp_chat_to_the_queue(social, graph):
    with worker():
        whatsapp("How do I pay my parking ticket?", "wamid.Q1")
        sends(graph, 1)
        # The button's tap arrives as an interactive reply carrying its title.
        deliver(
            whatsapp_message(
                wamid="wamid.Q2",
                kind="interactive",
                part={
                    "type": "button_reply",
                    "button_reply": {"id": "b2", "title": "Talk to a person"},
                },
            )
        )
        second = sends(graph, 2)[1]
    chat = chat_of(social.alpha)
    assert chat.status == "queued"
    authors = [(m.author, m.body) for m in stored(social.alpha, chat.id)]
    assert authors[2] == ("visitor", "Talk to a person")
    assert authors[3][0] == "bot" and "person" in authors[3][1]
    # With a person now: plain text, no buttons.
    assert second["body"]["type"] == "text"
    assert "Someone will be with you" in second["body"]["text"]["body"]


def test_siarad_a_pherson_on_messenger_hands_off_with_the_exchange_kept(social, graph):
    with worker():
        deliver(messenger_message(mid="m_Q1", text="pay a parking fine"))
        (first,) = sends(graph, 1)
        deliver(messenger_message(mid="m_Q2", text="siarad â pherson"))
        sends(graph, 2)
    assert first["channel"] == "messenger"
    assert first["body"]["recipient"] == {"id": RESIDENT_PSID}
    assert first["body"]["message"]["text"].startswith(PARKING_ANSWER)
    quick = [q["title"] for q in first["body"]["message"]["quick_replies"]]
    assert quick[-1] == "Talk to a person"
    chat = chat_of(social.alpha)
    assert chat.status == "queued"
    assert [m.author for m in stored(social.alpha, chat.id)] == ["visitor", "bot", "visitor", "bot"]


def test_a_person_asked_for_with_nobody_available_gets_the_offline_options_as_text(social, graph):
    nobody_online(social.alpha)
    with worker():
        whatsapp("pay a parking fine", "wamid.Q1")
        sends(graph, 1)
        whatsapp("talk to a person", "wamid.Q2")
        second = sends(graph, 2)[1]
    chat = chat_of(social.alpha)
    assert chat.status == "bot"  # the assistant keeps the chat
    offline = stored(social.alpha, chat.id)[-1]
    assert offline.author == "bot"
    assert second["body"]["type"] == "text"
    assert second["body"]["text"]["body"] == offline.body
    assert offline.body.strip()


def test_a_safety_message_on_whatsapp_sends_the_emergency_message_and_goes_to_the_front(
    social, graph
):
    with worker():
        whatsapp("pay a parking fine", "wamid.Q0")  # another resident's chat, with the bot
        sends(graph, 1)
        deliver(
            whatsapp_message(
                wamid="wamid.Q1", text="Im scared, my partner hits me", sender="447700900999"
            )
        )
        second = sends(graph, 2)[1]
    with schema_context(social.alpha.schema_name):
        chat = Conversation.objects.filter(channel="whatsapp").order_by("-created_at").first()
    assert (chat.status, chat.priority) == ("queued", 2)
    emergency = stored(social.alpha, chat.id)[1]
    assert emergency.extra["safety"] is True
    assert second["recipient"] == "447700900999"
    text = second["body"]["text"]["body"]
    assert text.startswith(emergency.body) and "999" in text
    assert "passing you to a person" in text


def test_mode_out_of_hours_leaves_social_chats_to_people_while_someone_is_online(social, graph):
    seed_assistant(social.alpha, mode="out_of_hours")
    whatsapp("pay a parking fine", "wamid.Q1")
    chat = chat_of(social.alpha)
    assert chat.status == "queued"
    assert [m.author for m in stored(social.alpha, chat.id)] == ["visitor"]


def test_mode_out_of_hours_answers_social_chats_when_nobody_is_online(social, graph):
    seed_assistant(social.alpha, mode="out_of_hours")
    nobody_online(social.alpha)
    with worker():
        whatsapp("pay a parking fine", "wamid.Q1")
        sends(graph, 1)
    assert chat_of(social.alpha).status == "bot"


def test_a_council_with_its_assistant_off_queues_social_chats(social, graph):
    deliver(whatsapp_message("200000000000002", wamid="wamid.B1", text="join the library"))
    chat = chat_of(social.beta)
    assert chat.status == "queued"
    assert [m.author for m in stored(social.beta, chat.id)] == ["visitor"]
