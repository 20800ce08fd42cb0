"""One row per side effect outside PostgreSQL (an email, a Graph API send), per council."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone


class OutboxItem(models.Model):
    """A send the council owes someone. Written in the same transaction as the change that
    needs it, so it exists exactly when that change does; marked sent by the delivery that
    succeeded; swept and retried while it is not (Redis, the broker and workers can all lose
    a queued task, a committed row they cannot).
    """

    kind = models.CharField(max_length=40, help_text="Names the handler (OUTBOX_HANDLERS).")
    ref = models.CharField(
        max_length=64, blank=True, help_text="The id of the row it is about (a chat, an enquiry)."
    )
    payload = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveIntegerField(default=0)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    # The exception's class only: a message could carry an address (no personal data here).
    last_error = models.CharField(max_length=200, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    given_up_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=Q(sent_at__isnull=True, given_up_at__isnull=True),
                name="outbox_pending_idx",
            ),
            models.Index(fields=["kind", "ref"], name="outbox_kind_ref_idx"),
        ]

    def __str__(self) -> str:
        state = "sent" if self.sent_at else "given up" if self.given_up_at else "pending"
        return f"{self.kind} {self.ref} ({state})"
