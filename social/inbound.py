"""Processing a stored webhook: each event in its council's schema, idempotently.

Dedupe is on the provider's message id (SocialMessage.provider_message_id is unique), and
all work for one resident is serialised on their SocialContact row lock, so a re-delivered
webhook, a retried task and two workers racing all store a message once.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from assistant import services as assistant_services
from assistant.selectors import assistant_takes_chat
from chat.actions.assignment import dispatch_on_commit
from chat.actions.lifecycle import conversation_start
from chat.actions.messages import message_create, message_store_unsafe
from chat.errors import ChatError
from chat.models import Conversation, Message
from councils.sites import CouncilRef, council_ref
from councils.tenancy import council_schema
from routing.availability import queue_refusal
from social import bot, delivery
from social.events import InboundMessage, StatusUpdate, Watermark, events_from_body
from social.hub.models import SocialAccount, WebhookInbox
from social.models import SocialConnection, SocialContact, SocialMedia, SocialMessage
from social.queueing import enqueue_on_commit

logger = logging.getLogger(__name__)

OUR_METADATA = "councilchat:"
OPEN = (Conversation.Status.QUEUED, Conversation.Status.ACTIVE, Conversation.Status.BOT)
CHANNEL_LABEL = {"messenger": "Messenger", "whatsapp": "WhatsApp"}
MEDIA_LABEL = {
    "image": "Photo",
    "video": "Video",
    "audio": "Voice message",
    "document": "Document",
    "file": "File",
    "sticker": "Sticker",
}


def inbox_process(*, inbox_id: int) -> int:
    """Process one stored webhook; returns how many events were handled.

    Precondition: not in a transaction; the connection may be on any schema (each step
    names its own). Marked processed only when every event is done, so a crash part-way
    re-runs it, and the events already stored are recognised by their ids.
    """
    with council_schema("public"):
        row = WebhookInbox.objects.filter(pk=inbox_id).values("body", "processed_at").first()
        if row is None or row["processed_at"] is not None:
            return 0
        events = events_from_body(bytes(row["body"]))
        keys = {(e.channel, e.account_id) for e in events}
        owners: dict[tuple[str, str], CouncilRef] = {}
        if keys:
            accounts = SocialAccount.objects.select_related("council__partnership").filter(
                external_id__in={k[1] for k in keys}
            )
            for account in accounts:
                owners[(account.kind, account.external_id)] = council_ref(account.council)
    handled = 0
    for event in events:
        council = owners.get((event.channel, event.account_id))
        if council is None:
            # No personal data: the kind of event and that its account is unknown, only.
            logger.warning(
                "social webhook %s: dropped a %s event for an account no council has",
                inbox_id,
                event.channel,
            )
            continue
        with council_schema(council.schema_name):
            event_process(council, event)
        handled += 1
    with council_schema("public"):
        # The raw body (names, numbers, texts) goes once its events are in their councils'
        # schemas: public keeps no resident data that a council's erasure could not reach.
        WebhookInbox.objects.filter(pk=inbox_id).update(processed_at=timezone.now(), body=b"")
    return handled


def event_process(council: CouncilRef, event) -> None:
    """Precondition: in `council`'s schema."""
    if isinstance(event, InboundMessage):
        try:
            message_receive(council=council, event=event)
        except IntegrityError:
            # Another worker stored the same provider id first (unique): nothing to add.
            logger.info("social: a message was stored concurrently; skipped the copy")
    elif isinstance(event, StatusUpdate):
        with transaction.atomic():
            delivery.status_apply_unsafe(
                council,
                provider_id=event.provider_id,
                state=event.state,
                when=event.timestamp,
                error=event.error,
            )
    elif isinstance(event, Watermark):
        watermark_apply(council=council, event=event)


def _connection(event) -> SocialConnection | None:
    connection = SocialConnection.objects.filter(
        kind=event.channel, external_id=event.account_id, enabled=True
    ).first()
    if connection is None:
        logger.warning("social: dropped a %s event for a disabled connection", event.channel)
    return connection


def _contact_locked(connection: SocialConnection, user_id: str) -> SocialContact:
    contact, _ = SocialContact.objects.get_or_create(
        connection=connection, external_user_id=user_id, defaults={"channel": connection.kind}
    )
    return SocialContact.objects.select_for_update().get(pk=contact.pk)


def client_id_for(provider_id: str) -> str:
    """A chat client_id (at most 64 characters) for a provider id (Messenger's are longer)."""
    return "social:" + hashlib.sha256(provider_id.encode()).hexdigest()[:48]


def _body(event: InboundMessage) -> str:
    if event.text.strip():
        return event.text
    if event.media:
        return ", ".join(MEDIA_LABEL.get(m.kind, "Attachment") for m in event.media)
    return "(a message this console cannot show)"


@transaction.atomic
def message_receive(*, council: CouncilRef, event: InboundMessage) -> SocialMessage | None:
    """Store one resident's message (or the Page's echo) once, in their open chat or a new
    one that joins the queue like a web chat."""
    if SocialMessage.objects.filter(provider_message_id=event.provider_id).exists():
        return None
    connection = _connection(event)
    if connection is None:
        return None
    contact = _contact_locked(connection, event.user_id)
    # Checked again under the resident's lock: a racing copy has committed by now.
    if SocialMessage.objects.filter(provider_message_id=event.provider_id).exists():
        return None
    if event.echo:
        return _echo_record(council, connection, contact, event)
    when = event.timestamp or timezone.now()
    if contact.last_inbound_at is None or when > contact.last_inbound_at:
        contact.last_inbound_at = when
    if event.name:
        contact.name = event.name
    extra = {
        "channel": event.channel,
        "provider_time": when.isoformat().replace("+00:00", "Z"),
    }
    if event.media:
        extra["attachments"] = []
    body = _body(event)
    message = None
    assistant_turn = None  # the assistant's outcome, when it answered this message
    conversation = contact.conversation
    if conversation is not None and conversation.status in OPEN:
        try:
            if conversation.status == Conversation.Status.BOT:
                outcome = assistant_services.visitor_message(
                    council=council,
                    conversation_id=conversation.id,
                    body=body,
                    client_id=client_id_for(event.provider_id),
                    extra=extra,
                )
                stored, assistant_turn = outcome.stored, outcome
            else:
                stored = message_create(
                    council=council,
                    conversation_id=conversation.id,
                    body=body,
                    client_id=client_id_for(event.provider_id),
                    extra=extra,
                )
            message = Message.objects.get(conversation_id=conversation.id, seq=stored.seq)
        except ChatError as err:
            if err.code != "conversation_closed":
                raise
    if message is None:
        name = (contact.name or f"{CHANNEL_LABEL[event.channel]} resident")[:100]
        routed_by = {"kind": "social", "label": f"Wrote on {CHANNEL_LABEL[event.channel]}"}
        department = connection.department
        if assistant_takes_chat(department, queue_refusal(department)):
            # Issue 14: the council's assistant takes it, under the widget's mode rules.
            conversation, assistant_turn = assistant_services.bot_chat_start(
                council=council,
                name=name,
                message=body,
                department=department,
                channel=event.channel,
                extra=extra,
                routed_by=routed_by,
            )
        else:
            conversation, _summary = conversation_start(
                council=council,
                name=name,
                message=body,
                department=department,
                channel=event.channel,
                extra=extra,
                routed_by=routed_by,
            )
            dispatch_on_commit(council)
        message = Message.objects.get(conversation=conversation, seq=1)
        contact.conversation = conversation
        contact.visitor_id = conversation.visitor_id
    contact.save()
    social = SocialMessage.objects.create(
        contact=contact,
        conversation_id=message.conversation_id,
        message=message,
        direction=SocialMessage.Direction.INBOUND,
        provider_message_id=event.provider_id,
        provider_timestamp=event.timestamp,
        state=SocialMessage.State.RECEIVED,
    )
    if event.media:
        _media_queue(council, social, message, event)
    if assistant_turn is not None:
        bot.assistant_turn_send_unsafe(
            council,
            contact,
            message.conversation_id,
            after_seq=message.seq,
            outcome=assistant_turn,
        )
    return social


def _media_queue(council, social: SocialMessage, message: Message, event: InboundMessage) -> None:
    attachments = []
    for media in event.media[:10]:
        row = SocialMedia.objects.create(
            social_message=social,
            kind=media.kind,
            source=media.source,
            filename=media.filename[:200],
            content_type=media.mime_type[:100],
        )
        attachments.append({"id": str(row.id), "kind": media.kind, "state": "pending"})
        enqueue_on_commit("fetch_media_task", str(row.id))
    delivery.set_message_extra_unsafe(message.id, attachments=attachments)


def _echo_record(
    council: CouncilRef,
    connection: SocialConnection,
    contact: SocialContact,
    event: InboundMessage,
) -> SocialMessage | None:
    """A message the Page itself sent (from Facebook's own inbox): shown as the council's,
    never as the resident's. Our own replies' echoes carry our metadata and are skipped."""
    if event.metadata.startswith(OUR_METADATA):
        return None
    conversation = contact.conversation
    message = None
    if conversation is not None and conversation.status in OPEN:
        # Author "system" (no operator of ours wrote it) with `echo`, which the console shows
        # as the council's own message.
        stored = message_store_unsafe(
            council,
            conversation.id,
            author=Message.Author.SYSTEM,
            author_name=f"{connection.name or 'The council'} (on Facebook)",
            body=event.text or _body(event),
            client_id=client_id_for(event.provider_id),
            extra={"channel": event.channel, "echo": True},
        )
        message = Message.objects.get(conversation_id=conversation.id, seq=stored.seq)
    return SocialMessage.objects.create(
        contact=contact,
        conversation=conversation if message is not None else None,
        message=message,
        direction=SocialMessage.Direction.ECHO,
        provider_message_id=event.provider_id,
        provider_timestamp=event.timestamp,
        state=SocialMessage.State.SENT,
        body=event.text[:4000],
    )


@transaction.atomic
def watermark_apply(*, council: CouncilRef, event: Watermark) -> int:
    """Messenger: every reply to this resident sent up to the watermark is delivered (read)."""
    contact = SocialContact.objects.filter(
        connection__kind=event.channel,
        connection__external_id=event.account_id,
        external_user_id=event.user_id,
    ).first()
    if contact is None:
        return 0
    cutoff = event.timestamp or timezone.now()
    candidates = (
        SocialMessage.objects.select_for_update(of=("self",))
        .select_related("message")
        .filter(contact=contact, direction=SocialMessage.Direction.OUTBOUND)
        .filter(state__in=(SocialMessage.State.SENT, SocialMessage.State.DELIVERED))
        .filter(sent_at__lte=cutoff + timedelta(seconds=1))
    )
    changed = 0
    for social in candidates:
        changed += delivery.state_set_unsafe(council, social, event.state)
    if event.mids:
        for social in (
            SocialMessage.objects.select_for_update(of=("self",))
            .select_related("message")
            .filter(provider_message_id__in=event.mids)
        ):
            changed += delivery.state_set_unsafe(council, social, event.state)
    return changed
