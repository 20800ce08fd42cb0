"""Residents' attachments: fetched through the Graph API only, kept privately per council."""

from __future__ import annotations

import logging

from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.utils import timezone

from chat import frames, groups
from councils.sites import CouncilRef
from social import delivery, graph
from social.models import SocialMedia

logger = logging.getLogger(__name__)

# What operators may download, and the extension it is stored under. Anything else (HTML,
# SVG, scripts, archives) is refused: it could run in the council's origin if opened.
ALLOWED_TYPES = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
    "image/gif": ".gif",
    "application/pdf": ".pdf",
    "audio/ogg": ".ogg",
    "audio/mpeg": ".mp3",
    "audio/mp4": ".m4a",
    "audio/aac": ".aac",
    "audio/amr": ".amr",
    "video/mp4": ".mp4",
    "video/3gpp": ".3gp",
    "text/plain": ".txt",
    "application/msword": ".doc",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.ms-excel": ".xls",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
}


class MediaRetry(Exception):
    """The Graph API was unavailable: try again later."""


def _attachment(media: SocialMedia) -> dict:
    item = {"id": str(media.id), "kind": media.kind}
    if media.file:
        item.update(
            state="stored",
            url=f"/social/media/{media.id}/",
            name=media.filename or f"{media.kind}{ALLOWED_TYPES.get(media.content_type, '')}",
            content_type=media.content_type,
            size=media.size,
        )
    else:
        item.update(state="failed" if media.error else "pending", error=media.error)
    return item


def media_fetch(*, council: CouncilRef, media_id: str) -> bool:
    """Download one attachment and store it under private/<schema>/; True when stored.

    Precondition: in the council's schema. WhatsApp: media id → Graph → URL → bytes, each
    with the connection's token. Messenger: the attachment URL from the webhook, only if it
    is on an allowed Meta host (graph.media_download refuses any other and any redirect).
    """
    media = (
        SocialMedia.objects.select_related("social_message__contact__connection")
        .filter(pk=media_id)
        .first()
    )
    if media is None or media.fetched_at is not None:
        return False
    contact = media.social_message.contact
    token = contact.connection.token
    try:
        if contact.channel == "whatsapp":
            url, mime = graph.media_url_for(media_id=media.source, token=token)
            download = graph.media_download(url=url, token=token)
        else:
            mime = ""
            download = graph.media_download(url=media.source, token="")
    except graph.GraphError as err:
        if err.retryable:
            raise MediaRetry() from err
        return _fail(council, media, err.detail)
    content_type = (download.content_type or mime or "").split(";")[0].strip().lower()
    if content_type == "application/octet-stream" and mime:
        content_type = mime.split(";")[0].strip().lower()
    if content_type not in ALLOWED_TYPES:
        return _fail(council, media, "This kind of file is not accepted.")
    with transaction.atomic():
        media = SocialMedia.objects.select_for_update().get(pk=media.pk)
        if media.fetched_at is not None:
            return False
        name = f"{connection.schema_name}/{media.id}{ALLOWED_TYPES[content_type]}"
        media.file.save(name, ContentFile(download.content), save=False)
        media.content_type = content_type
        media.size = len(download.content)
        media.fetched_at = timezone.now()
        media.error = ""
        media.save()
        _announce(council, media)
    return True


def _fail(council: CouncilRef, media: SocialMedia, error: str) -> bool:
    with transaction.atomic():
        media.error = error[:200]
        media.fetched_at = timezone.now()
        media.save(update_fields=["error", "fetched_at"])
        _announce(council, media)
    logger.info("social: an attachment was not stored (%s)", error)
    return False


def _announce(council: CouncilRef, media: SocialMedia) -> None:
    """Update the chat message's attachment list and tell the console."""
    social = media.social_message
    if social.message_id is None:
        return
    items = [
        _attachment(m) for m in SocialMedia.objects.filter(social_message=social).order_by("id")
    ]
    delivery.set_message_extra_unsafe(social.message_id, attachments=items)
    seq = social.message.seq
    frames.send_frame_on_commit(
        groups.conversation_group(council.id, social.conversation_id),
        frames.attachments(str(social.conversation_id), seq, items),
        to="operator",
    )
