"""Webhook intake: verify, store raw, answer. Nothing here parses what Meta sent."""

from __future__ import annotations

from django.db import transaction

from social.hub.models import WebhookInbox
from social.queueing import enqueue_on_commit


@transaction.atomic
def inbox_store(*, body: bytes) -> int:
    """Keep a verified webhook body; its processing task is queued once it is committed.

    Precondition: public schema (the inbox is one table for every council). The commit
    happens before the 200 goes back, so an answered delivery is never lost; if the queue
    loses the task, the beat sweep (social.tasks.sweep_social) sends it again.
    """
    row = WebhookInbox.objects.create(body=body)
    enqueue_on_commit("process_inbox_task", row.pk)
    return row.pk
