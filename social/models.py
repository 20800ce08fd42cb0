"""Each council's social channels: connections, residents, and every message's state.

The council's chat transcript lives in chat.Message as for a web chat; a SocialMessage
row links one chat message to its provider id (the de-duplication key: unique) and keeps
its delivery state. Outbound rows double as the outbox: written in the same transaction as
the operator's message, claimed by the send task under a row lock, never resent once Meta
gave them an id.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone

from social.crypto import token_decrypt, token_encrypt
from social.hub.models import Kind


class SocialConnection(models.Model):
    """A council's Facebook Page (Messenger) or WhatsApp Cloud API number."""

    kind = models.CharField(max_length=10, choices=Kind.choices)
    external_id = models.CharField(
        "Page id or phone number id",
        max_length=64,
        help_text=(
            "Messenger: the Facebook Page id. WhatsApp: the phone number id (not the number)."
        ),
    )
    name = models.CharField(max_length=120, blank=True, help_text="Shown to operators.")
    waba_id = models.CharField(
        "WhatsApp Business Account id", max_length=64, blank=True, help_text="WhatsApp only."
    )
    display_number = models.CharField(max_length=32, blank=True, help_text="WhatsApp only.")
    # Fernet ciphertext of the Page access token or WhatsApp system-user token.
    token_encrypted = models.BinaryField(editable=False, default=b"")
    department = models.ForeignKey(
        "routing.Department",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        help_text="New chats from this channel go to this team (empty: any team).",
    )
    enabled = models.BooleanField(default=True)
    last_tested_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_test_ok = models.BooleanField(null=True, editable=False)
    last_test_detail = models.CharField(max_length=200, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    # councils/offboarding.py leaves these out of a council's export: credentials.
    EXPORT_EXCLUDE = ("token_encrypted",)

    class Meta:
        ordering = ["kind", "external_id"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "external_id"], name="social_connection_id")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.name or self.external_id}"

    @property
    def token(self) -> str:
        return token_decrypt(bytes(self.token_encrypted))

    def set_token(self, token: str) -> None:
        self.token_encrypted = token_encrypt(token)

    @property
    def has_token(self) -> bool:
        return bool(self.token_encrypted)


class SocialContact(models.Model):
    """A resident on one channel: their Page-scoped id (Messenger) or WhatsApp id."""

    channel = models.CharField(max_length=10, choices=Kind.choices)
    connection = models.ForeignKey(SocialConnection, on_delete=models.CASCADE)
    external_user_id = models.CharField(max_length=64)
    name = models.CharField(max_length=100, blank=True)
    visitor = models.ForeignKey("chat.Visitor", null=True, blank=True, on_delete=models.SET_NULL)
    # The resident's conversation that is open now (None: their next message starts one).
    conversation = models.ForeignKey(
        "chat.Conversation", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Provider timestamp of their latest message: the 24-hour window runs from it.
    last_inbound_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "external_user_id"], name="social_contact_once"
            )
        ]

    def __str__(self) -> str:
        return self.name or f"{self.get_channel_display()} resident"


class SocialMessage(models.Model):
    """One message on a social channel: inbound, outbound (the outbox), or an echo."""

    class Direction(models.TextChoices):
        INBOUND = "in", "From the resident"
        OUTBOUND = "out", "From an operator"
        ECHO = "echo", "Sent from the Page itself"

    class State(models.TextChoices):
        RECEIVED = "received", "Received"
        QUEUED = "queued", "Queued"
        SENT = "sent", "Sent"
        DELIVERED = "delivered", "Delivered"
        READ = "read", "Read"
        FAILED = "failed", "Failed"

    class Kind(models.TextChoices):
        TEXT = "text", "Free-form text"
        TEMPLATE = "template", "WhatsApp template"
        HUMAN_AGENT = "human_agent", "Messenger HUMAN_AGENT tag"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    contact = models.ForeignKey(SocialContact, on_delete=models.CASCADE, related_name="messages")
    conversation = models.ForeignKey("chat.Conversation", null=True, on_delete=models.CASCADE)
    message = models.OneToOneField(
        "chat.Message", null=True, on_delete=models.CASCADE, related_name="social"
    )
    direction = models.CharField(max_length=4, choices=Direction.choices)
    # Meta's id (mid / wamid): unique, so a re-delivered webhook stores nothing new and a
    # reply Meta accepted is never sent again. NULL until an outbound message is accepted.
    provider_message_id = models.CharField(max_length=255, null=True, blank=True, unique=True)
    provider_timestamp = models.DateTimeField(null=True, blank=True)
    state = models.CharField(max_length=10, choices=State.choices)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.TEXT)
    template_name = models.CharField(max_length=512, blank=True)
    template_language = models.CharField(max_length=15, blank=True)
    body = models.TextField(blank=True)
    # The assistant's quick replies (Messenger) or reply buttons (WhatsApp): their titles.
    buttons = models.JSONField(default=list, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="social_outbox_due_idx",
                condition=models.Q(state="queued"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} ({self.state})"


class PendingStatus(models.Model):
    """A status that arrived before its message had an id here (Meta delivers out of
    order); applied when the id is recorded."""

    provider_message_id = models.CharField(max_length=255, db_index=True)
    state = models.CharField(max_length=10, choices=SocialMessage.State.choices)
    error = models.CharField(max_length=300, blank=True)
    provider_timestamp = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.state} before its message"


class SocialMedia(models.Model):
    """A resident's attachment, fetched through the Graph API and kept privately."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    social_message = models.ForeignKey(
        SocialMessage, on_delete=models.CASCADE, related_name="media"
    )
    kind = models.CharField(max_length=12)  # image, document, audio, video, file
    # WhatsApp media id, or Messenger's attachment URL; never shown to anyone.
    source = models.TextField()
    file = models.FileField(upload_to="private/", max_length=300, blank=True)
    filename = models.CharField(max_length=200, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=200, blank=True)
    fetched_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.kind} {self.id}"


class WhatsAppTemplate(models.Model):
    """A message template the council has had approved by Meta (WhatsApp Manager).

    Outside the 24-hour window WhatsApp delivers only these. Templates with parameters
    are not supported yet (docs/social.md).
    """

    name = models.CharField(max_length=512, help_text="Exactly as approved in WhatsApp Manager.")
    language = models.CharField(max_length=15, default="en_GB")
    body_preview = models.TextField(help_text="The approved text, shown to operators.")
    enabled = models.BooleanField(default=True)

    class Meta:
        ordering = ["name", "language"]
        constraints = [
            models.UniqueConstraint(fields=["name", "language"], name="whatsapp_template_once")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.language})"
