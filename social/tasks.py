"""Social background work. Inbox tasks run in public (the inbox is shared) and route each
event to its council's schema; send and media tasks run in the council they were sent from
(tenant-schemas-celery). Tasks take ids only."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.db import connection
from django.utils import timezone

from councils.sites import council_ref
from councils.tenancy import send_to_every_council

logger = logging.getLogger(__name__)

INBOX_MAX_ATTEMPTS = 10
SWEEP_AFTER_SECONDS = 30
# Processed rows (their bodies already emptied) are kept a week for the counts; a row given
# up is kept, body and all, this long for inspection, then deleted with its personal data.
INBOX_KEEP_PROCESSED_DAYS = 7
INBOX_KEEP_GIVEN_UP_DAYS = 30


def _this_council():
    from councils.models import Council

    return council_ref(
        Council.objects.select_related("partnership").get(schema_name=connection.schema_name)
    )


@shared_task(bind=True, acks_late=True, max_retries=INBOX_MAX_ATTEMPTS)
def process_inbox_task(self, inbox_id: int) -> int:
    from social.hub.models import WebhookInbox
    from social.inbound import inbox_process

    try:
        return inbox_process(inbox_id=inbox_id)
    except Exception as exc:
        connection.set_schema_to_public()
        attempts = self.request.retries + 1
        WebhookInbox.objects.filter(pk=inbox_id).update(
            attempts=attempts,
            last_error=type(exc).__name__[:200],
            given_up=attempts >= INBOX_MAX_ATTEMPTS,
        )
        logger.exception("social webhook %s: processing failed (attempt %s)", inbox_id, attempts)
        if attempts >= INBOX_MAX_ATTEMPTS:
            return 0
        raise self.retry(countdown=min(2**attempts, 300)) from None


@shared_task(acks_late=True)
def send_social_message_task(social_message_id: str) -> bool:
    """Send one queued reply; schedules its own retry with backoff when Meta is unavailable."""
    from social.outbound import outbound_send

    delay = outbound_send(council=_this_council(), social_message_id=social_message_id)
    if delay is not None:
        # Sent from this council's schema, so the retry runs there too.
        send_social_message_task.apply_async(args=[social_message_id], countdown=delay)
        return False
    return True


@shared_task(bind=True, acks_late=True, max_retries=5)
def fetch_media_task(self, media_id: str) -> bool:
    from social.media import MediaRetry, media_fetch

    try:
        return media_fetch(council=_this_council(), media_id=media_id)
    except MediaRetry:
        raise self.retry(countdown=2 ** (self.request.retries + 1)) from None


@shared_task
def sweep_outbox_task() -> int:
    """This council's replies whose send task was lost (a worker died): sent again."""
    from social.outbound import outbox_due

    due = outbox_due()
    for pk in due:
        send_social_message_task.delay(pk)
    return len(due)


@shared_task
def sweep_social() -> int:
    """Beat: re-queue stored webhooks nobody processed, then each council's outbox."""
    from social.hub.models import WebhookInbox

    connection.set_schema_to_public()
    cutoff = timezone.now() - timedelta(seconds=SWEEP_AFTER_SECONDS)
    stale = list(
        WebhookInbox.objects.filter(
            processed_at__isnull=True, given_up=False, received_at__lt=cutoff
        )
        .order_by("received_at")
        .values_list("pk", flat=True)[:1000]
    )
    for pk in stale:
        process_inbox_task.delay(pk)
    inbox_prune(now=timezone.now())
    send_to_every_council(sweep_outbox_task)
    return len(stale)


def inbox_prune(*, now) -> int:
    """Delete processed inbox rows after INBOX_KEEP_PROCESSED_DAYS and given-up ones (whose
    raw bodies hold residents' data) after INBOX_KEEP_GIVEN_UP_DAYS. Call in public."""
    from django.db.models import Q

    from social.hub.models import WebhookInbox

    deleted, _ = WebhookInbox.objects.filter(
        Q(processed_at__lt=now - timedelta(days=INBOX_KEEP_PROCESSED_DAYS))
        | Q(given_up=True, received_at__lt=now - timedelta(days=INBOX_KEEP_GIVEN_UP_DAYS))
    ).delete()
    return deleted
