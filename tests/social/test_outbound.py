"""Operators' replies on WhatsApp and Messenger: sent exactly once by a real worker through
the Graph stand-in (even when it fails first), the 24-hour rule, templates, statuses."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone
from django_tenants.utils import schema_context

from chat.actions.lifecycle import conversation_accept
from chat.actions.messages import message_create
from chat.errors import ChatError
from chat.models import Conversation, Message
from social.models import PendingStatus, SocialContact, SocialMessage, WhatsAppTemplate
from social.outbound import template_send
from social.tasks import send_social_message_task
from tests.factories import operator_in
from tests.social.conftest import wait_for, worker
from tests.social.helpers import (
    ALPHA_PAGE,
    ALPHA_PHONE,
    RESIDENT_PSID,
    RESIDENT_WA,
    messenger_message,
    messenger_watermark,
    whatsapp_status,
)
from tests.social.test_inbound import deliver
from tests.sockets import login_session, next_of_type, open_socket, operator_socket

pytestmark = pytest.mark.usefixtures("social")


def accepted_social_chat(council, channel: str = "whatsapp", username: str = "duty"):
    """A resident's message on `channel`, accepted by operator `username`."""
    from tests.social.helpers import whatsapp_message

    if channel == "whatsapp":
        deliver(whatsapp_message(wamid=f"wamid.IN{time.monotonic_ns()}"))
    else:
        deliver(messenger_message(mid=f"m_IN{time.monotonic_ns()}"))
    operator = operator_in(council, username)
    with schema_context(council.schema_name):
        conversation = Conversation.objects.get(channel=channel)
        conversation_accept(council=council, conversation_id=conversation.id, operator=operator)
    return conversation.id, operator


def reply(
    council, conversation_id, operator, body="We will fix it this week.", client_id="c1", **kw
):
    with schema_context(council.schema_name):
        return message_create(
            council=council,
            conversation_id=conversation_id,
            body=body,
            client_id=client_id,
            operator=operator,
            **kw,
        )


def outbound(council) -> list[SocialMessage]:
    with schema_context(council.schema_name):
        return list(
            SocialMessage.objects.filter(direction="out")
            .select_related("message")
            .order_by("created_at")
        )


def age_contact(council, hours: float) -> None:
    with schema_context(council.schema_name):
        SocialContact.objects.update(last_inbound_at=timezone.now() - timedelta(hours=hours))


def test_a_reply_is_sent_exactly_once_through_a_graph_api_that_fails_twice_first(social, graph):
    conversation_id, operator = accepted_social_chat(social.alpha)
    graph.fail_next(2)
    with worker():
        stored = reply(social.alpha, conversation_id, operator)
        assert stored.payload["extra"]["delivery"] == "queued"
        wait_for(lambda: outbound(social.alpha)[0].state == "sent", what="the reply to be sent")
        # A duplicate task (a redelivered Celery message, a sweep) finds it sent: no resend.
        with schema_context(social.alpha.schema_name):
            pk = str(outbound(social.alpha)[0].pk)
            assert send_social_message_task.apply(args=[pk]).get() is True
    (row,) = outbound(social.alpha)
    (sent,) = graph.sent()
    assert graph.calls() == 3  # two failures, one success
    assert row.attempts == 3
    assert row.provider_message_id == sent["message_id"]
    assert sent["account"] == ALPHA_PHONE
    assert sent["body"] == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": RESIDENT_WA,
        "type": "text",
        "text": {"preview_url": False, "body": "We will fix it this week."},
    }
    assert row.message.extra["delivery"] == "sent"


def test_a_messenger_reply_goes_to_the_send_api_as_a_response(social, graph):
    conversation_id, operator = accepted_social_chat(social.alpha, "messenger")
    with worker():
        reply(social.alpha, conversation_id, operator, body="Thanks, Brian")
        wait_for(lambda: graph.sent(), what="the send")
        wait_for(lambda: outbound(social.alpha)[0].state == "sent")
    (sent,) = graph.sent()
    assert sent["channel"] == "messenger"
    assert sent["body"]["recipient"] == {"id": RESIDENT_PSID}
    assert sent["body"]["messaging_type"] == "RESPONSE"
    assert sent["body"]["message"]["text"] == "Thanks, Brian"


def test_a_resent_client_id_stores_and_sends_nothing_new(social, graph):
    conversation_id, operator = accepted_social_chat(social.alpha)
    first = reply(social.alpha, conversation_id, operator, client_id="same")
    again = reply(social.alpha, conversation_id, operator, client_id="same")
    assert again.created is False and again.seq == first.seq
    assert len(outbound(social.alpha)) == 1


def test_outside_24_hours_a_free_form_reply_is_refused_with_nothing_stored_or_sent(social, graph):
    conversation_id, operator = accepted_social_chat(social.alpha)
    age_contact(social.alpha, 25)
    with schema_context(social.alpha.schema_name):
        before = Message.objects.filter(conversation_id=conversation_id).count()
    with pytest.raises(ChatError) as refused:
        reply(social.alpha, conversation_id, operator)
    assert refused.value.code == "outside_window"
    assert "template" in refused.value.detail
    with schema_context(social.alpha.schema_name):
        assert Message.objects.filter(conversation_id=conversation_id).count() == before
        assert Conversation.objects.get(id=conversation_id).last_seq == before
    assert outbound(social.alpha) == []
    assert graph.sent() == []


def test_outside_24_hours_an_approved_template_is_sent(social, graph):
    conversation_id, operator = accepted_social_chat(social.alpha)
    age_contact(social.alpha, 30)
    with schema_context(social.alpha.schema_name):
        template = WhatsAppTemplate.objects.get(name="follow_up")
    with worker():
        with schema_context(social.alpha.schema_name):
            stored = template_send(
                council=social.alpha,
                conversation_id=conversation_id,
                operator=operator,
                client_id="t1",
                template_id=template.pk,
            )
        assert stored.payload["body"] == template.body_preview
        wait_for(lambda: graph.sent(), what="the template send")
    (sent,) = graph.sent()
    assert sent["body"]["type"] == "template"
    assert sent["body"]["template"] == {"name": "follow_up", "language": {"code": "en_GB"}}


def test_messenger_outside_24_hours_allows_a_human_agent_reply_within_7_days_only(social, graph):
    conversation_id, operator = accepted_social_chat(social.alpha, "messenger")
    age_contact(social.alpha, 48)
    with pytest.raises(ChatError):
        reply(social.alpha, conversation_id, operator, client_id="free")
    with worker():
        reply(
            social.alpha,
            conversation_id,
            operator,
            client_id="tag",
            outbound={"tag": "human_agent"},
        )
        wait_for(lambda: graph.sent(), what="the tagged send")
    (sent,) = graph.sent()
    assert sent["body"]["messaging_type"] == "MESSAGE_TAG"
    assert sent["body"]["tag"] == "HUMAN_AGENT"
    age_contact(social.alpha, 24 * 8)
    with pytest.raises(ChatError) as refused:
        reply(
            social.alpha,
            conversation_id,
            operator,
            client_id="late",
            outbound={"tag": "human_agent"},
        )
    assert refused.value.code == "outside_window"


def test_statuses_move_a_reply_forward_only_and_one_arriving_before_its_send_is_kept(social, graph):
    conversation_id, operator = accepted_social_chat(social.alpha)
    # Meta's "delivered" for the id the stand-in will give the reply arrives first.
    deliver(whatsapp_status(ALPHA_PHONE, "wamid.STANDIN00000001", "delivered"))
    with schema_context(social.alpha.schema_name):
        assert PendingStatus.objects.count() == 1
    with worker():
        reply(social.alpha, conversation_id, operator)
        wait_for(lambda: outbound(social.alpha)[0].state == "delivered", what="the early status")
    deliver(whatsapp_status(ALPHA_PHONE, "wamid.STANDIN00000001", "read"))
    deliver(whatsapp_status(ALPHA_PHONE, "wamid.STANDIN00000001", "delivered"))  # late, stale
    (row,) = outbound(social.alpha)
    assert row.state == "read"
    assert row.message.extra["delivery"] == "read"
    with schema_context(social.alpha.schema_name):
        assert PendingStatus.objects.count() == 0


def test_messenger_watermarks_mark_replies_delivered_then_read(social, graph):
    conversation_id, operator = accepted_social_chat(social.alpha, "messenger")
    with worker():
        reply(social.alpha, conversation_id, operator)
        wait_for(lambda: outbound(social.alpha)[0].state == "sent")
    now_ms = int(time.time() * 1000) + 10
    deliver(messenger_watermark(ALPHA_PAGE, "delivery", now_ms))
    assert outbound(social.alpha)[0].state == "delivered"
    deliver(messenger_watermark(ALPHA_PAGE, "read", now_ms))
    assert outbound(social.alpha)[0].state == "read"


@sync_to_async
def _setup_socket_chat(council):
    operator_in(council, "alex")
    return accepted_social_chat(council, "whatsapp", username="alex")


async def test_the_console_sees_the_channel_the_window_and_each_delivery_state_live(
    social, graph, settings
):
    settings.SOCIAL_SEND_GIVE_UP_SECONDS = 0.5
    conversation_id, _operator = await _setup_socket_chat(social.alpha)
    comm = operator_socket(social.alpha, await login_session(social.alpha, "alex"))
    hello = await open_socket(comm)
    (chat,) = hello["active"]
    assert chat["channel"] == "whatsapp"
    assert chat["social"]["window_closes_at"]
    assert [t["name"] for t in chat["social"]["templates"]] == ["follow_up"]
    with worker():
        await comm.send_json_to(
            {
                "type": "message",
                "conversation": str(conversation_id),
                "client_id": "r1",
                "body": "On it",
            }
        )
        ack = await next_of_type(comm, "ack")
        delivery = await next_of_type(comm, "delivery", timeout=15)
        assert delivery == {
            "type": "delivery",
            "conversation": str(conversation_id),
            "seq": ack["seq"],
            "state": "sent",
        }
        await sync_to_async(deliver)(
            whatsapp_status(ALPHA_PHONE, "wamid.STANDIN00000001", "delivered")
        )
        assert (await next_of_type(comm, "delivery"))["state"] == "delivered"

        # Meta down for longer than the give-up time: failed, and the operator is told.
        await sync_to_async(graph.fail_next)(100)
        await comm.send_json_to(
            {
                "type": "message",
                "conversation": str(conversation_id),
                "client_id": "r2",
                "body": "Hello?",
            }
        )
        ack = await next_of_type(comm, "ack")
        failed = await next_of_type(comm, "delivery", timeout=15)
        assert failed["seq"] == ack["seq"] and failed["state"] == "failed"
        assert failed["error"]

    await sync_to_async(age_contact)(social.alpha, 25)
    await comm.send_json_to(
        {"type": "message", "conversation": str(conversation_id), "client_id": "r3", "body": "Late"}
    )
    error = await next_of_type(comm, "error")
    assert error["code"] == "outside_window" and error["client_id"] == "r3"
    await comm.disconnect()
