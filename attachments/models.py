"""Photos and documents sent in web chats, kept privately in each council's schema and
storage prefix (docs/attachments.md)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone

from config.singleton import SingletonModel


class AttachmentSettings(SingletonModel):
    """What residents and operators may send in this council's chats."""

    enabled = models.BooleanField(
        "residents may send files",
        default=True,
        help_text="Show the 'Add a photo or PDF' button in the chat window.",
    )
    allow_images = models.BooleanField(
        "photos", default=True, help_text="JPEG, PNG, GIF (first frame) and WebP."
    )
    allow_pdf = models.BooleanField("PDF documents", default=True)
    max_size_mb = models.PositiveSmallIntegerField(
        "largest file (MB)",
        default=10,
        validators=[MinValueValidator(1)],
        help_text="Up to the deployment's ceiling (ATTACHMENT_MAX_MB_CEILING, 25 MB by default).",
    )

    class Meta:
        verbose_name = verbose_name_plural = "attachment settings"

    def __str__(self) -> str:
        return "Attachment settings"

    def clean(self) -> None:
        super().clean()
        ceiling = settings.ATTACHMENT_MAX_MB_CEILING
        if self.max_size_mb and self.max_size_mb > ceiling:
            raise ValidationError({"max_size_mb": f"At most {ceiling} MB on this service."})

    @property
    def max_bytes(self) -> int:
        """The limit in bytes (never above the deployment's ceiling)."""
        return min(self.max_size_mb, settings.ATTACHMENT_MAX_MB_CEILING) * 1024 * 1024


class Attachment(models.Model):
    """One stored file and the chat message that carries it.

    The file lives at private/<schema>/attachments/<id> in the default storage (never a
    public URL); it is served only by attachments/views.py.
    """

    class Author(models.TextChoices):
        VISITOR = "visitor", "Resident"
        OPERATOR = "operator", "Operator"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    conversation = models.ForeignKey(
        "chat.Conversation", on_delete=models.CASCADE, related_name="attachments"
    )
    message = models.OneToOneField(
        "chat.Message", null=True, on_delete=models.SET_NULL, related_name="attachment"
    )
    author = models.CharField(max_length=10, choices=Author.choices)
    author_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    file = models.FileField(max_length=300)
    # The name shown to people: the sender's, made safe, with the extension of what it is.
    name = models.CharField(max_length=150)
    content_type = models.CharField(max_length=50)
    size = models.PositiveIntegerField()
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.content_type})"
