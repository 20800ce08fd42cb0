"""Public schema: which council owns each Page and WhatsApp number, and the webhook inbox.

Meta sends every council's webhooks to one URL on the main host, so the council of a
delivery is known only from the ids inside it; this index is the one place that answers,
and it lets an id belong to one council only (a unique constraint, not a convention).
"""

from django.db import models


class Kind(models.TextChoices):
    MESSENGER = "messenger", "Facebook Messenger (Page id)"
    WHATSAPP = "whatsapp", "WhatsApp (phone number id)"


class SocialAccount(models.Model):
    """A Facebook Page id or WhatsApp phone number id, and the council it belongs to."""

    kind = models.CharField(max_length=10, choices=Kind.choices)
    external_id = models.CharField(max_length=64)
    council = models.ForeignKey(
        "councils.Council", on_delete=models.CASCADE, related_name="social_accounts"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "external_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "external_id"], name="social_account_one_council"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.external_id}"


class WebhookInbox(models.Model):
    """One verified webhook POST, stored raw before anything parses it.

    Answering Meta 200 promises the delivery is kept: the row is committed first, and a
    task (re-queued by the beat sweep if lost) processes it idempotently.
    """

    body = models.BinaryField()
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # Why processing failed last (an exception's class name: never the body).
    last_error = models.CharField(max_length=200, blank=True)
    given_up = models.BooleanField(default=False)

    class Meta:
        ordering = ["received_at"]
        indexes = [
            models.Index(
                fields=["received_at"],
                name="social_inbox_pending_idx",
                condition=models.Q(processed_at__isnull=True, given_up=False),
            )
        ]

    def __str__(self) -> str:
        return f"Webhook {self.pk} ({'processed' if self.processed_at else 'pending'})"
