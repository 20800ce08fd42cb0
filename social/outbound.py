"""Operators' replies on Messenger and WhatsApp: the 24-hour rule, the outbox, the send.

A reply is stored like any chat message and, in the same transaction, an outbound
SocialMessage row (the outbox) is written; after commit a task sends it. The task claims
the row with a lock and sends only while it is queued with no provider id, so a retried or
duplicated task never sends a reply Meta accepted (docs/social.md).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from chat import channel_hooks
from chat.actions.messages import StoredMessage, message_create
from chat.errors import ChatError
from chat.operators import OperatorRef
from councils.sites import CouncilRef
from social import delivery, graph
from social.models import SocialContact, SocialMessage, WhatsAppTemplate
from social.queueing import enqueue_on_commit

logger = logging.getLogger(__name__)

WINDOW = timedelta(hours=24)
HUMAN_AGENT_WINDOW = timedelta(days=7)


def contact_for_conversation(conversation_id: UUID | str) -> SocialContact | None:
    contact = (
        SocialContact.objects.select_related("connection")
        .filter(conversation_id=conversation_id)
        .first()
    )
    if contact is None:  # an older chat of theirs: found through its messages
        contact = (
            SocialContact.objects.select_related("connection")
            .filter(messages__conversation_id=conversation_id)
            .first()
        )
    return contact


def window_closes_at(contact: SocialContact) -> Any:
    return contact.last_inbound_at + WINDOW if contact.last_inbound_at else None


def reply_prepare(conversation_id: UUID, options: dict[str, Any]) -> dict[str, Any]:
    """Refuse a reply the channel would not deliver (ChatError: nothing is stored)."""
    contact = contact_for_conversation(conversation_id)
    if contact is None or not contact.connection.enabled:
        raise ChatError("channel_unavailable", "This chat's social connection is switched off.")
    now = timezone.now()
    last = contact.last_inbound_at
    template = options.get("template")
    tag = options.get("tag")
    if template is not None:
        if contact.channel != "whatsapp":
            raise ChatError("invalid_frame", "Templates are for WhatsApp chats.")
        return {"channel": contact.channel, "delivery": "queued", "template": True}
    if tag is not None:
        if tag != "human_agent" or contact.channel != "messenger":
            raise ChatError("invalid_frame", "The only tag is human_agent, for Messenger chats.")
        if last is None or now - last > HUMAN_AGENT_WINDOW:
            raise ChatError(
                "outside_window",
                "More than 7 days have passed since the resident's last message: "
                "Messenger will not deliver a reply now.",
            )
        return {"channel": contact.channel, "delivery": "queued", "tag": "human_agent"}
    if last is None or now - last > WINDOW:
        if contact.channel == "whatsapp":
            detail = (
                "More than 24 hours have passed since the resident's last message: WhatsApp "
                "delivers only an approved template now."
            )
        else:
            detail = (
                "More than 24 hours have passed since the resident's last message: send it "
                "as a human agent reply (within 7 days)."
            )
        raise ChatError("outside_window", detail)
    return {"channel": contact.channel, "delivery": "queued"}


def reply_record(
    *,
    council: CouncilRef,
    conversation_id: UUID,
    message_id: int,
    seq: int,
    body: str,
    options: dict[str, Any],
) -> None:
    """The outbox row, in the reply's own transaction; the send task goes after commit."""
    contact = contact_for_conversation(conversation_id)
    kind = SocialMessage.Kind.TEXT
    template_name = template_language = ""
    if options.get("template") is not None:
        template = WhatsAppTemplate.objects.get(pk=options["template"])
        kind = SocialMessage.Kind.TEMPLATE
        template_name, template_language = template.name, template.language
    elif options.get("tag") == "human_agent":
        kind = SocialMessage.Kind.HUMAN_AGENT
    social = SocialMessage.objects.create(
        contact=contact,
        conversation_id=conversation_id,
        message_id=message_id,
        direction=SocialMessage.Direction.OUTBOUND,
        state=SocialMessage.State.QUEUED,
        kind=kind,
        template_name=template_name,
        template_language=template_language,
        body=body,
        next_attempt_at=timezone.now(),
    )
    enqueue_on_commit("send_social_message_task", str(social.id))


def summaries(conversation_ids: list[str]) -> dict[str, dict[str, Any]]:
    """What the console shows for social chats: the reply window and the templates."""
    from chat.payloads import iso_utc

    contacts: dict[str, SocialContact] = {}
    for contact in SocialContact.objects.filter(conversation_id__in=conversation_ids):
        contacts[str(contact.conversation_id)] = contact
    missing = [cid for cid in conversation_ids if cid not in contacts]
    if missing:
        for social in SocialMessage.objects.select_related("contact").filter(
            conversation_id__in=missing, direction=SocialMessage.Direction.INBOUND
        ):
            contacts.setdefault(str(social.conversation_id), social.contact)
    templates = None
    answer = {}
    for cid in conversation_ids:
        contact = contacts.get(cid)
        if contact is None:
            continue
        social: dict[str, Any] = {
            "window_closes_at": iso_utc(window_closes_at(contact)),
        }
        if contact.channel == "messenger" and contact.last_inbound_at:
            social["human_agent_until"] = iso_utc(contact.last_inbound_at + HUMAN_AGENT_WINDOW)
        if contact.channel == "whatsapp":
            if templates is None:
                templates = [
                    {"id": t.pk, "name": t.name, "language": t.language, "body": t.body_preview}
                    for t in WhatsAppTemplate.objects.filter(enabled=True)
                ]
            social["templates"] = templates
        answer[cid] = {"social": social}
    return answer


def register_hooks() -> None:
    hooks = channel_hooks.ChannelHooks(
        reply_prepare=reply_prepare, reply_record=reply_record, summaries=summaries
    )
    channel_hooks.register("messenger", hooks)
    channel_hooks.register("whatsapp", hooks)


def template_send(
    *,
    council: CouncilRef,
    conversation_id: UUID,
    operator: OperatorRef,
    client_id: str,
    template_id: Any,
) -> StoredMessage:
    """Send one of the council's approved WhatsApp templates (allowed outside 24 hours);
    the chat shows its approved text."""
    if not isinstance(template_id, int) or isinstance(template_id, bool):
        raise ChatError("invalid_frame", "template must be a template id.")
    template = WhatsAppTemplate.objects.filter(pk=template_id, enabled=True).first()
    if template is None:
        raise ChatError("not_found", "No such approved template.")
    return message_create(
        council=council,
        conversation_id=conversation_id,
        body=template.body_preview,
        client_id=client_id,
        operator=operator,
        outbound={"template": template.pk},
    )


def _retry_delay(attempts: int) -> float:
    """2 s, 4 s, 8 s … (SOCIAL_SEND_RETRY_BASE_SECONDS doubling), at most 5 minutes."""
    return min(settings.SOCIAL_SEND_RETRY_BASE_SECONDS * (2 ** max(attempts - 1, 0)), 300.0)


@transaction.atomic
def outbound_send(*, council: CouncilRef, social_message_id: str) -> float | None:
    """Send one queued reply; the seconds until the next try, or None when done.

    The row lock is held across the Graph call, so a second task for the same row skips
    it (SKIP LOCKED), and a row with a provider id is never sent again. A crash after Meta
    accepted and before this commits is the one window in which a reply could go twice
    (Meta's Send API has no idempotency key): docs/social.md.
    """
    social = (
        SocialMessage.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("contact__connection", "message")
        .filter(pk=social_message_id, direction=SocialMessage.Direction.OUTBOUND)
        .first()
    )
    if social is None or social.state != SocialMessage.State.QUEUED or social.provider_message_id:
        return None
    now = timezone.now()
    give_up_at = social.created_at + timedelta(seconds=settings.SOCIAL_SEND_GIVE_UP_SECONDS)
    connection = social.contact.connection
    if not connection.enabled or not connection.has_token:
        delivery.state_set_unsafe(
            council, social, SocialMessage.State.FAILED, error="The connection is switched off."
        )
        return None
    social.attempts += 1
    try:
        sent = _send(social)
    except graph.GraphError as err:
        delay = _retry_delay(social.attempts)
        if not err.retryable or now + timedelta(seconds=delay) > give_up_at:
            social.save(update_fields=["attempts"])
            logger.warning("social: a reply failed for good (%s)", err.detail)
            delivery.state_set_unsafe(council, social, SocialMessage.State.FAILED, error=err.detail)
            return None
        social.next_attempt_at = now + timedelta(seconds=delay)
        social.error = err.detail[:300]
        social.save(update_fields=["attempts", "next_attempt_at", "error"])
        return delay
    social.provider_message_id = sent.provider_message_id
    social.sent_at = timezone.now()
    social.error = ""
    social.save(update_fields=["attempts", "provider_message_id", "sent_at", "error"])
    delivery.state_set_unsafe(council, social, SocialMessage.State.SENT)
    delivery.pending_apply_unsafe(council, social)
    return None


def _send(social: SocialMessage) -> graph.Sent:
    connection = social.contact.connection
    token = connection.token
    if social.contact.channel == "messenger":
        return graph.messenger_send(
            token=token,
            recipient_id=social.contact.external_user_id,
            text=social.body,
            human_agent=social.kind == SocialMessage.Kind.HUMAN_AGENT,
            metadata=f"councilchat:{social.id}",
            quick_replies=social.buttons,
        )
    template = None
    if social.kind == SocialMessage.Kind.TEMPLATE:
        template = (social.template_name, social.template_language)
    return graph.whatsapp_send(
        token=token,
        phone_number_id=connection.external_id,
        to=social.contact.external_user_id,
        text=social.body,
        template=template,
        buttons=social.buttons,
    )


def outbox_due() -> list[str]:
    """Queued replies whose next try is overdue (their task was lost): for the sweep."""
    cutoff = timezone.now() - timedelta(seconds=30)
    return [
        str(pk)
        for pk in SocialMessage.objects.filter(
            direction=SocialMessage.Direction.OUTBOUND,
            state=SocialMessage.State.QUEUED,
            next_attempt_at__lt=cutoff,
        ).values_list("pk", flat=True)[:500]
    ]
