"""Meta's webhook payloads as Meta sends them, signed; and the Graph stand-in's controls."""

from __future__ import annotations

import base64
import json
import time
import urllib.request
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.test import Client

from social.signatures import signature_for

ALPHA_PAGE, BETA_PAGE = "100000000000001", "100000000000002"
ALPHA_PHONE, BETA_PHONE = "200000000000001", "200000000000002"
RESIDENT_WA = "447700900123"
RESIDENT_PSID = "7000000000000001"


def whatsapp_message(
    phone_id: str = ALPHA_PHONE,
    *,
    wamid: str = "wamid.TEST1",
    text: str = "The pothole on Brian's road is back",
    sender: str = RESIDENT_WA,
    name: str = "Brian",
    timestamp: float | None = None,
    kind: str = "text",
    part: dict[str, Any] | None = None,
) -> dict[str, Any]:
    message: dict[str, Any] = {
        "from": sender,
        "id": wamid,
        "timestamp": str(int(timestamp if timestamp is not None else time.time())),
        "type": kind,
    }
    message[kind] = part if part is not None else {"body": text}
    return _whatsapp(
        phone_id,
        {"contacts": [{"profile": {"name": name}, "wa_id": sender}], "messages": [message]},
    )


def whatsapp_status(
    phone_id: str, wamid: str, status: str, *, timestamp: float | None = None
) -> dict[str, Any]:
    entry = {
        "id": wamid,
        "status": status,
        "timestamp": str(int(timestamp or time.time())),
        "recipient_id": RESIDENT_WA,
    }
    if status == "failed":
        entry["errors"] = [{"code": 131047, "title": "Re-engagement message"}]
    return _whatsapp(phone_id, {"statuses": [entry]})


def _whatsapp(phone_id: str, value: dict[str, Any]) -> dict[str, Any]:
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "300000000000001",
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {
                                "display_phone_number": "447700900000",
                                "phone_number_id": phone_id,
                            },
                            **value,
                        },
                    }
                ],
            }
        ],
    }


def messenger_message(
    page_id: str = ALPHA_PAGE,
    *,
    mid: str = "m_TEST1",
    text: str | None = "Hello from Messenger",
    sender: str = RESIDENT_PSID,
    timestamp_ms: int | None = None,
    echo: bool = False,
    metadata: str | None = None,
    attachments: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    message: dict[str, Any] = {"mid": mid}
    if text is not None:
        message["text"] = text
    if attachments:
        message["attachments"] = attachments
    if echo:
        message["is_echo"] = True
        message["app_id"] = 1234
        if metadata:
            message["metadata"] = metadata
    ts = timestamp_ms if timestamp_ms is not None else int(time.time() * 1000)
    who = (
        {"sender": {"id": page_id}, "recipient": {"id": sender}}
        if echo
        else {
            "sender": {"id": sender},
            "recipient": {"id": page_id},
        }
    )
    return {
        "object": "page",
        "entry": [
            {"id": page_id, "time": ts, "messaging": [{**who, "timestamp": ts, "message": message}]}
        ],
    }


def messenger_watermark(page_id: str, kind: str, watermark_ms: int, sender: str = RESIDENT_PSID):
    return {
        "object": "page",
        "entry": [
            {
                "id": page_id,
                "time": watermark_ms,
                "messaging": [
                    {
                        "sender": {"id": sender},
                        "recipient": {"id": page_id},
                        "timestamp": watermark_ms,
                        kind: {"watermark": watermark_ms},
                    }
                ],
            }
        ],
    }


def raw(body: dict[str, Any] | bytes) -> bytes:
    return body if isinstance(body, bytes) else json.dumps(body).encode()


def post_webhook(
    body: dict[str, Any] | bytes, *, signature: str | None = "auto", secret: str | None = None
):
    """POST to /webhooks/meta on the public host, as Meta does."""
    data = raw(body)
    headers = {}
    if signature == "auto":
        signature = signature_for(data, secret or settings.META_APP_SECRET)
    if signature is not None:
        headers["HTTP_X_HUB_SIGNATURE_256"] = signature
    return Client(HTTP_HOST="localhost").post(
        "/webhooks/meta", data=data, content_type="application/json", **headers
    )


@dataclass
class StandIn:
    base: str

    def _call(self, method: str, path: str, body: dict | None = None) -> dict:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(request, timeout=5) as response:
            return json.loads(response.read())

    def reset(self) -> None:
        self._call("POST", "/__control__/reset", {})

    def fail_next(self, count: int, status: int = 500) -> None:
        self._call("POST", "/__control__/fail", {"count": count, "status": status})

    def sent(self) -> list[dict]:
        return self._call("GET", "/__control__/sent")["sent"]

    def calls(self) -> int:
        return self._call("GET", "/__control__/sent")["calls"]

    def media(self, media_id: str, content: bytes, content_type: str, **extra) -> None:
        self._call(
            "POST",
            "/__control__/media",
            {
                "id": media_id,
                "content_type": content_type,
                "data": base64.b64encode(content).decode(),
                **extra,
            },
        )
