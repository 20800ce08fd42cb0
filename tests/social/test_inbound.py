"""Inbound Messenger and WhatsApp: routed to the right council only, stored once, into the
queue like a web chat, and out-of-order deliveries lose nothing."""

from __future__ import annotations

import time

import pytest
from django_tenants.utils import schema_context

from chat.actions.lifecycle import conversation_end
from chat.models import Conversation, Message
from social.hub.models import WebhookInbox
from social.inbound import inbox_process
from social.models import SocialContact, SocialMessage
from tests.social.conftest import wait_for, worker
from tests.social.helpers import (
    ALPHA_PAGE,
    ALPHA_PHONE,
    BETA_PAGE,
    BETA_PHONE,
    messenger_message,
    post_webhook,
    raw,
    whatsapp_message,
)

pytestmark = pytest.mark.usefixtures("social")


def deliver(body) -> None:
    """Meta's POST, then the processing the task does (run here, in the test's process)."""
    assert post_webhook(body).status_code == 200
    for pk in WebhookInbox.objects.filter(processed_at__isnull=True).values_list("pk", flat=True):
        inbox_process(inbox_id=pk)


def chats(council) -> list[Conversation]:
    with schema_context(council.schema_name):
        return list(Conversation.objects.order_by("created_at"))


def bodies(council, conversation_id) -> list[tuple[str, str]]:
    with schema_context(council.schema_name):
        return list(
            Message.objects.filter(conversation_id=conversation_id)
            .order_by("seq")
            .values_list("author", "body")
        )


def test_a_whatsapp_message_joins_its_councils_queue_through_a_real_worker(social):
    with worker():
        assert post_webhook(whatsapp_message(text="Pothole on Brian's road")).status_code == 200
        wait_for(lambda: chats(social.alpha), what="the worker to store the chat")
        wait_for(lambda: WebhookInbox.objects.filter(processed_at__isnull=False).exists())
    (chat,) = chats(social.alpha)
    assert chat.channel == "whatsapp"
    assert chat.status == "queued"
    with schema_context(social.alpha.schema_name):
        assert chat.visitor.name == "Brian"
    assert bodies(social.alpha, chat.id) == [("visitor", "Pothole on Brian's road")]
    assert chats(social.beta) == []


def test_a_redelivered_message_id_is_stored_once(social):
    body = whatsapp_message(wamid="wamid.SAME")
    deliver(body)
    deliver(body)
    deliver(messenger_message(mid="m_SAME"))
    deliver(messenger_message(mid="m_SAME"))
    with schema_context(social.alpha.schema_name):
        assert Message.objects.filter(author="visitor").count() == 2
        assert SocialMessage.objects.count() == 2
    assert len(chats(social.alpha)) == 2  # one per channel


def test_each_entry_goes_to_its_own_council_only(social):
    alpha = messenger_message(ALPHA_PAGE, mid="m_A", text="for alpha")
    beta = messenger_message(BETA_PAGE, mid="m_B", text="for beta")
    both = {"object": "page", "entry": alpha["entry"] + beta["entry"]}
    deliver(both)
    deliver(whatsapp_message(BETA_PHONE, wamid="wamid.B", text="beta on whatsapp"))
    alpha_texts = [b for c in chats(social.alpha) for _a, b in bodies(social.alpha, c.id)]
    beta_texts = [b for c in chats(social.beta) for _a, b in bodies(social.beta, c.id)]
    assert alpha_texts == ["for alpha"]
    assert sorted(beta_texts) == ["beta on whatsapp", "for beta"]
    assert chats(social.gamma) == []


def test_a_message_for_an_id_no_council_has_is_dropped(social, caplog):
    deliver(whatsapp_message("299999999999999", wamid="wamid.LOST", text="Brian's secret"))
    deliver(messenger_message("199999999999999", mid="m_LOST"))
    for council in social.all():
        assert chats(council) == []
    assert WebhookInbox.objects.filter(processed_at__isnull=True).count() == 0
    assert "Brian" not in caplog.text and "447700900123" not in caplog.text


def test_a_disabled_connection_receives_nothing(social):
    from social.models import SocialConnection

    with schema_context(social.alpha.schema_name):
        SocialConnection.objects.filter(kind="whatsapp").update(enabled=False)
    deliver(whatsapp_message())
    assert chats(social.alpha) == []


def test_a_residents_next_message_continues_their_open_chat_and_after_it_ends_starts_a_new_one(
    social,
):
    deliver(whatsapp_message(wamid="wamid.1", text="first"))
    deliver(whatsapp_message(wamid="wamid.2", text="second"))
    (chat,) = chats(social.alpha)
    assert [b for _a, b in bodies(social.alpha, chat.id)] == ["first", "second"]
    with schema_context(social.alpha.schema_name):
        conversation_end(council=social.alpha, conversation_id=chat.id)
    deliver(whatsapp_message(wamid="wamid.3", text="third"))
    first, second = chats(social.alpha)
    assert first.status == "ended"
    assert second.status == "queued" and second.channel == "whatsapp"
    assert bodies(social.alpha, second.id) == [("visitor", "third")]


def test_a_second_message_delivered_before_the_first_stores_both_with_their_provider_times(
    social,
):
    now = time.time()
    deliver(whatsapp_message(wamid="wamid.LATER", text="second", timestamp=now))
    deliver(whatsapp_message(wamid="wamid.EARLIER", text="first", timestamp=now - 30))
    (chat,) = chats(social.alpha)
    with schema_context(social.alpha.schema_name):
        messages = list(Message.objects.filter(conversation=chat).order_by("seq"))
        contact = SocialContact.objects.get()
    assert [m.body for m in messages] == ["second", "first"]
    assert messages[0].extra["provider_time"] > messages[1].extra["provider_time"]
    # The 24-hour window runs from the latest provider time, not the last to arrive.
    assert abs(contact.last_inbound_at.timestamp() - int(now)) < 1


def test_a_pages_echo_is_recorded_as_the_councils_not_the_residents(social):
    deliver(messenger_message(mid="m_1", text="Hi"))
    deliver(messenger_message(mid="m_ECHO", text="Sent from Facebook's inbox", echo=True))
    deliver(messenger_message(mid="m_OURS", text="ours", echo=True, metadata="councilchat:abc"))
    (chat,) = chats(social.alpha)
    first, echo = bodies(social.alpha, chat.id)
    assert first == ("visitor", "Hi")
    assert echo == ("system", "Sent from Facebook's inbox")
    with schema_context(social.alpha.schema_name):
        assert Message.objects.get(conversation=chat, seq=2).extra["echo"] is True
        assert not Message.objects.filter(body="ours").exists()


@pytest.mark.parametrize(
    "kind,part,expected",
    [
        (
            "location",
            {"latitude": 50.71, "longitude": -2.44, "name": "Dorchester"},
            "Location: 50.710000, -2.440000 (Dorchester)",
        ),
        (
            "interactive",
            {"type": "button_reply", "button_reply": {"id": "y", "title": "Yes please"}},
            "Yes please",
        ),
        ("audio", {"id": "555", "mime_type": "audio/ogg"}, "Voice message"),
        (
            "document",
            {
                "id": "556",
                "mime_type": "application/pdf",
                "filename": "a.pdf",
                "caption": "My letter",
            },
            "My letter",
        ),
        ("unsupported", {}, "(a message this console cannot show)"),
    ],
)
def test_whatsapp_message_types_become_readable_text(social, kind, part, expected):
    deliver(whatsapp_message(kind=kind, part=part))
    (chat,) = chats(social.alpha)
    assert bodies(social.alpha, chat.id) == [("visitor", expected)]


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b'{"object":"page"}',
        b'{"object":"page","entry":[{"id":"100000000000001","messaging":[{"message":"x"}]}]}',
        b'{"object":"whatsapp_business_account","entry":[{"changes":[{"value":[]}]}]}',
        raw(
            {
                "object": "whatsapp_business_account",
                "entry": [
                    {
                        "changes": [
                            {
                                "value": {
                                    "metadata": {"phone_number_id": ALPHA_PHONE},
                                    "messages": [{"from": 1, "id": None}],
                                }
                            }
                        ]
                    }
                ],
            }
        ),
    ],
)
def test_odd_but_signed_bodies_are_processed_without_error_and_store_nothing(social, body):
    deliver(body)
    assert chats(social.alpha) == []
    assert WebhookInbox.objects.filter(processed_at__isnull=True).count() == 0


def test_a_webhook_stored_but_never_processed_is_picked_up_by_the_sweep(social):
    """A crash between the 200 and the processing (the task lost with its worker)."""
    from datetime import timedelta

    from django.utils import timezone

    from social.tasks import sweep_social

    row = WebhookInbox.objects.create(body=raw(whatsapp_message(text="kept through a crash")))
    WebhookInbox.objects.filter(pk=row.pk).update(received_at=timezone.now() - timedelta(minutes=2))
    with worker():
        assert sweep_social.apply().get() >= 1
        wait_for(lambda: chats(social.alpha), what="the swept webhook to be processed")
    (chat,) = chats(social.alpha)
    assert bodies(social.alpha, chat.id) == [("visitor", "kept through a crash")]
    assert WebhookInbox.objects.get(pk=row.pk).processed_at is not None
