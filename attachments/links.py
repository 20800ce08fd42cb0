"""Where an attachment is fetched from: operators by their session on the council's host,
residents by a short-lived signed link (docs/attachments.md).

Operators' frames carry `/console/attachments/<id>` (relative: the console is on that host).
A resident's frames carry `<widget host>/widget/attachments/<id>?sig=…`, signed for that
attachment and council and valid for ATTACHMENT_LINK_MAX_AGE seconds; the visitor's socket
signs a fresh one for every frame it sends, replays included.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.conf import settings
from django.core import signing

SALT = "councilchat.attachment-link"


class LinkInvalid(Exception):
    pass


def console_url(attachment_id: str | UUID) -> str:
    return f"/console/attachments/{attachment_id}"


def visitor_url(*, council_id: int, attachment_id: str | UUID, base: str = "") -> str:
    """`base` is the widget's scheme and host (e.g. https://chat.dorset.gov.uk)."""
    signed = signing.dumps(
        {"c": council_id, "a": UUID(str(attachment_id)).hex}, salt=SALT, compress=False
    )
    return f"{base}/widget/attachments/{attachment_id}?sig={signed}"


def visitor_link_read(signed: str, attachment_id: UUID) -> int:
    """The council the link was signed for; LinkInvalid when forged, expired or for another
    attachment."""
    try:
        data = signing.loads(signed, salt=SALT, max_age=settings.ATTACHMENT_LINK_MAX_AGE)
        if UUID(data["a"]) != attachment_id:
            raise LinkInvalid("another attachment")
        return int(data["c"])
    except (signing.BadSignature, KeyError, TypeError, ValueError) as exc:
        raise LinkInvalid(str(type(exc))) from exc


def for_visitor(item: dict[str, Any], *, council_id: int, base: str) -> dict[str, Any]:
    """The wire object as a resident's widget gets it: the same, with their own link."""
    return {
        **item,
        "url": visitor_url(council_id=council_id, attachment_id=item["id"], base=base),
    }


def wire(stored: dict[str, Any]) -> dict[str, Any]:
    """The object stored in `Message.extra["attachment"]` as operators get it."""
    return {
        "id": stored["id"],
        "name": stored["name"],
        "size": stored["size"],
        "content_type": stored["content_type"],
        "url": console_url(stored["id"]),
    }
