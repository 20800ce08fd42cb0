"""Data protection, in each council's schema: its retention schedule, legal holds, what was
anonymised, the append-only audit log and erasure receipts.

Nothing here holds a resident's personal data: audit entries and receipts name staff, record
kinds and counts, and point at records by id.
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

MONTHS = [MinValueValidator(1), MaxValueValidator(1200)]


class RetentionPolicy(models.Model):
    """The council's retention schedule: one row per council schema (pk 1).

    Months, as retention schedules are written. Defaults: 12 months for transcripts,
    enquiries and social-channel data, 6 years (72 months) for audit entries.
    """

    transcripts_months = models.PositiveSmallIntegerField(
        default=12,
        validators=MONTHS,
        help_text=(
            "Messages, internal notes, pre-chat answers, the visitor's name and contact "
            "details and page addresses, counted from the end of the chat."
        ),
    )
    enquiries_months = models.PositiveSmallIntegerField(
        default=12, validators=MONTHS, help_text="Out-of-hours enquiries, from when left."
    )
    social_months = models.PositiveSmallIntegerField(
        default=12,
        validators=MONTHS,
        help_text="Social-channel identities and media (Messenger, WhatsApp).",
    )
    audit_months = models.PositiveSmallIntegerField(
        default=72, validators=MONTHS, help_text="Audit entries (who looked at what)."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "retention schedule"

    def __str__(self) -> str:
        return "Retention schedule"

    @classmethod
    def current(cls) -> RetentionPolicy:
        """This council's schedule (created with the defaults on first use)."""
        return cls.objects.get_or_create(pk=1)[0]


class DepartmentRetention(models.Model):
    """A department whose records are kept for a different time (empty: the council's)."""

    department = models.OneToOneField(
        "routing.Department", on_delete=models.CASCADE, related_name="retention"
    )
    transcripts_months = models.PositiveSmallIntegerField(null=True, blank=True, validators=MONTHS)
    enquiries_months = models.PositiveSmallIntegerField(null=True, blank=True, validators=MONTHS)

    class Meta:
        verbose_name = "department retention"
        verbose_name_plural = "department retention"

    def __str__(self) -> str:
        return f"Retention for {self.department}"


class LegalHold(models.Model):
    """Keeps a conversation past its retention date (and from erasure) until released."""

    conversation = models.ForeignKey(
        "chat.Conversation", on_delete=models.CASCADE, related_name="legal_holds"
    )
    reason = models.CharField(max_length=200, help_text="e.g. a case reference; no names.")
    placed_at = models.DateTimeField(default=timezone.now)
    placed_by_name = models.CharField(max_length=150)
    released_at = models.DateTimeField(null=True, blank=True)
    released_by_name = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["-placed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["conversation"],
                condition=models.Q(released_at__isnull=True),
                name="one_active_legal_hold",
            )
        ]

    def __str__(self) -> str:
        return f"Legal hold on {self.conversation_id}"


class Redaction(models.Model):
    """A record whose personal data has been removed (its statistics stay).

    Also how retention knows what it has done: the nightly run skips these.
    """

    class Reason(models.TextChoices):
        RETENTION = "retention", "Retention period passed"
        ERASURE = "erasure", "Erasure request"

    kind = models.CharField(max_length=40)  # "conversation", "enquiry", or a provider's kind
    object_id = models.CharField(max_length=64)
    reason = models.CharField(max_length=10, choices=Reason.choices)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "object_id"], name="redaction_unique")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id}"


class AuditEntry(models.Model):
    """Who did what to personal data. Append-only: a trigger refuses UPDATE and DELETE
    (migration 0002), except DELETE by the retention service (docs/data-protection.md).

    No foreign keys (a deleted user or record must not rewrite history) and no personal data
    of residents: objects are named by kind and id, details hold counts and kinds.
    """

    class Action(models.TextChoices):
        TRANSCRIPT_OPENED = "transcript_opened", "Opened a transcript"
        HISTORY_SEARCHED = "history_searched", "Searched chat history"
        EXPORTED = "exported", "Exported data"
        SUBJECT_ACCESS = "subject_access", "Subject access request"
        ERASURE = "erasure", "Erasure request"
        RETENTION_CHANGED = "retention_changed", "Changed retention"
        RETENTION_APPLIED = "retention_applied", "Applied retention"
        LEGAL_HOLD_PLACED = "legal_hold_placed", "Placed a legal hold"
        LEGAL_HOLD_RELEASED = "legal_hold_released", "Released a legal hold"
        MEDIA_VIEWED = "media_viewed", "Viewed a social media attachment"
        ATTACHMENT_VIEWED = "attachment_viewed", "Viewed a chat attachment"

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor_user_id = models.IntegerField(null=True, blank=True)
    actor_name = models.CharField(max_length=150)
    action = models.CharField(max_length=30, choices=Action.choices)
    source = models.CharField(max_length=20, blank=True)  # admin, console, command, task
    object_type = models.CharField(max_length=40, blank=True)
    object_id = models.CharField(max_length=64, blank=True, db_index=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name_plural = "audit entries"
        permissions = [("export_auditentry", "Can export audit entries as CSV")]

    def __str__(self) -> str:
        return f"{self.at:%d %b %Y %H:%M} {self.actor_name}: {self.get_action_display()}"


class ErasureReceipt(models.Model):
    """Proof that an erasure request was carried out: when, by whom, what and how many.

    Holds no personal data: not the name, address or number the request named.
    """

    at = models.DateTimeField(default=timezone.now)
    by_user_id = models.IntegerField(null=True, blank=True)
    by_name = models.CharField(max_length=150)
    matched_by = models.CharField(max_length=20)  # email, phone, name, social_id
    counts = models.JSONField(default=dict)  # category -> records erased
    held = models.PositiveIntegerField(default=0, help_text="Conversations kept: legal hold.")

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"Erasure {self.pk} on {self.at:%d %b %Y}"


class PrivacyTools(models.Model):
    """No table: carries the permissions for subject access and erasure (council admins)."""

    class Meta:
        managed = False
        default_permissions = ()
        verbose_name = verbose_name_plural = "subject access and erasure"
        permissions = [
            ("subject_access", "Can answer subject access requests"),
            ("erase_subject", "Can erase a person's data"),
        ]

    def __str__(self) -> str:
        return "Subject access and erasure"
