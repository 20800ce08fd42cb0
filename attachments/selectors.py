"""Reads: what the widget may offer (its config), and attachments for the privacy services."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from attachments.inspect import IMAGE_CONTENT_TYPES, PDF_TYPE, Limits
from attachments.models import AttachmentSettings


def limits_current() -> Limits:
    """This council's limits. Precondition: in the council's schema."""
    current = AttachmentSettings.current()
    return Limits(
        max_bytes=current.max_bytes,
        max_pixels=settings.ATTACHMENT_MAX_PIXELS,
        images=current.allow_images,
        pdf=current.allow_pdf,
    )


def accepted_types(limits: Limits) -> list[str]:
    types = sorted(IMAGE_CONTENT_TYPES) if limits.images else []
    return types + ([PDF_TYPE[0]] if limits.pdf else [])


def attachments_widget() -> dict[str, Any] | None:
    """The widget config's `attachments`: None when residents may not send files.

    Precondition: in the council's schema."""
    current = AttachmentSettings.current()
    limits = limits_current()
    types = accepted_types(limits)
    if not current.enabled or not types:
        return None
    return {"max_bytes": limits.max_bytes, "types": types}
