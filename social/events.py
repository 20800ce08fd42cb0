"""Meta's webhook JSON turned into plain events, defensively: any odd shape is skipped.

Nothing here touches the database. Each event names the account (Page id or phone
number id) it arrived for, which decides the council.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

TEXT_MAX = 4000


@dataclass(frozen=True)
class Media:
    kind: str  # image, document, audio, video, file, sticker
    source: str  # WhatsApp media id, or Messenger attachment URL
    mime_type: str = ""
    filename: str = ""


@dataclass(frozen=True)
class InboundMessage:
    channel: str
    account_id: str
    user_id: str
    provider_id: str
    timestamp: datetime | None
    text: str
    name: str = ""
    media: tuple[Media, ...] = ()
    echo: bool = False
    # Messenger echoes repeat the `metadata` we sent: how our own replies are recognised.
    metadata: str = ""


@dataclass(frozen=True)
class StatusUpdate:
    channel: str
    account_id: str
    provider_id: str
    state: str  # sent, delivered, read, failed
    timestamp: datetime | None
    error: str = ""


@dataclass(frozen=True)
class Watermark:
    """Messenger: everything sent to `user_id` up to `timestamp` was delivered (or read)."""

    channel: str
    account_id: str
    user_id: str
    state: str  # delivered or read
    timestamp: datetime | None
    mids: tuple[str, ...] = field(default_factory=tuple)


Event = InboundMessage | StatusUpdate | Watermark


def _str(value: Any, limit: int = 255) -> str:
    return value[:limit] if isinstance(value, str) else ""


def _id(value: Any) -> str:
    """Meta's ids are digit strings (sometimes sent as numbers)."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    return value if isinstance(value, str) and 0 < len(value) <= 64 else ""


def _when(value: Any, *, millis: bool) -> datetime | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if millis:
        number /= 1000
    try:
        return datetime.fromtimestamp(number, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def events_from_body(body: bytes) -> list[Event]:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return []
    if not isinstance(data, dict) or not isinstance(data.get("entry"), list):
        return []
    events: list[Event] = []
    for entry in data["entry"]:
        if not isinstance(entry, dict):
            continue
        if data.get("object") == "page":
            events.extend(_messenger_entry(entry))
        elif data.get("object") == "whatsapp_business_account":
            events.extend(_whatsapp_entry(entry))
    return events


def _messenger_entry(entry: dict[str, Any]) -> list[Event]:
    page_id = _id(entry.get("id"))
    items = entry.get("messaging")
    if not page_id or not isinstance(items, list):
        return []
    events: list[Event] = []
    for item in items:
        if not isinstance(item, dict):
            continue
        sender = (
            _id((item.get("sender") or {}).get("id"))
            if isinstance(item.get("sender"), dict)
            else ""
        )
        recipient = (
            _id((item.get("recipient") or {}).get("id"))
            if isinstance(item.get("recipient"), dict)
            else ""
        )
        when = _when(item.get("timestamp"), millis=True)
        message = item.get("message")
        if isinstance(message, dict):
            echo = message.get("is_echo") is True
            user_id = recipient if echo else sender
            mid = _str(message.get("mid"))
            if not user_id or not mid:
                continue
            media = []
            for attachment in message.get("attachments") or []:
                if not isinstance(attachment, dict):
                    continue
                payload = (
                    attachment.get("payload") if isinstance(attachment.get("payload"), dict) else {}
                )
                kind = _str(attachment.get("type"), 20) or "file"
                url = _str(payload.get("url"), 2000)
                if url and kind in ("image", "video", "audio", "file"):
                    media.append(Media(kind=kind, source=url))
            events.append(
                InboundMessage(
                    channel="messenger",
                    account_id=page_id,
                    user_id=user_id,
                    provider_id=mid,
                    timestamp=when,
                    text=_str(message.get("text"), TEXT_MAX),
                    media=tuple(media),
                    echo=echo,
                    metadata=_str(message.get("metadata"), 200),
                )
            )
        for key in ("delivery", "read"):
            mark = item.get(key)
            if isinstance(mark, dict) and sender:
                mids = tuple(m for m in mark.get("mids") or [] if isinstance(m, str))
                events.append(
                    Watermark(
                        channel="messenger",
                        account_id=page_id,
                        user_id=sender,
                        state="delivered" if key == "delivery" else "read",
                        timestamp=_when(mark.get("watermark"), millis=True),
                        mids=mids,
                    )
                )
    return events


_WHATSAPP_MEDIA = ("image", "document", "audio", "video", "sticker")
STATES = ("sent", "delivered", "read", "failed")


def _whatsapp_entry(entry: dict[str, Any]) -> list[Event]:
    events: list[Event] = []
    for change in entry.get("changes") or []:
        if not isinstance(change, dict) or not isinstance(change.get("value"), dict):
            continue
        value = change["value"]
        metadata = value.get("metadata") if isinstance(value.get("metadata"), dict) else {}
        phone_id = _id(metadata.get("phone_number_id"))
        if not phone_id:
            continue
        names = {}
        for contact in value.get("contacts") or []:
            if isinstance(contact, dict) and isinstance(contact.get("profile"), dict):
                names[_id(contact.get("wa_id"))] = _str(contact["profile"].get("name"), 100)
        for message in value.get("messages") or []:
            if not isinstance(message, dict):
                continue
            event = _whatsapp_message(phone_id, message, names)
            if event is not None:
                events.append(event)
        for status in value.get("statuses") or []:
            if not isinstance(status, dict) or status.get("status") not in STATES:
                continue
            wamid = _str(status.get("id"))
            if not wamid:
                continue
            error = ""
            errors = status.get("errors")
            if isinstance(errors, list) and errors and isinstance(errors[0], dict):
                error = f"{errors[0].get('code', '')} {_str(errors[0].get('title'), 200)}".strip()
            events.append(
                StatusUpdate(
                    channel="whatsapp",
                    account_id=phone_id,
                    provider_id=wamid,
                    state=status["status"],
                    timestamp=_when(status.get("timestamp"), millis=False),
                    error=error,
                )
            )
    return events


def _whatsapp_message(phone_id: str, message: dict[str, Any], names: dict[str, str]):
    sender = _id(message.get("from"))
    wamid = _str(message.get("id"))
    kind = message.get("type")
    if not sender or not wamid or not isinstance(kind, str):
        return None
    text, media = "", []
    part = message.get(kind) if isinstance(message.get(kind), dict) else {}
    if kind == "text":
        text = _str(part.get("body"), TEXT_MAX)
    elif kind in _WHATSAPP_MEDIA:
        media_id = _id(part.get("id"))
        text = _str(part.get("caption"), TEXT_MAX)
        if media_id:
            media.append(
                Media(
                    kind=kind,
                    source=media_id,
                    mime_type=_str(part.get("mime_type"), 100),
                    filename=_str(part.get("filename"), 200),
                )
            )
    elif kind == "location":
        lat, lon = part.get("latitude"), part.get("longitude")
        label = ", ".join(
            x for x in (_str(part.get("name"), 200), _str(part.get("address"), 300)) if x
        )
        if isinstance(lat, int | float) and isinstance(lon, int | float):
            text = f"Location: {lat:.6f}, {lon:.6f}" + (f" ({label})" if label else "")
        else:
            text = "Location" + (f": {label}" if label else "")
    elif kind == "interactive":
        reply = part.get("button_reply") or part.get("list_reply") or {}
        text = _str(reply.get("title"), TEXT_MAX) if isinstance(reply, dict) else ""
    elif kind == "button":
        text = _str(part.get("text"), TEXT_MAX)
    elif kind == "reaction":
        return None  # a reaction to a message is not a message
    return InboundMessage(
        channel="whatsapp",
        account_id=phone_id,
        user_id=sender,
        provider_id=wamid,
        timestamp=_when(message.get("timestamp"), millis=False),
        text=text,
        name=names.get(sender, ""),
        media=tuple(media),
    )
