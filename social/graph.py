"""Meta's Graph API: the few calls CouncilChat makes, with nothing followed off its hosts.

Every request goes to META_GRAPH_URL (or, for media downloads only, a host in
META_MEDIA_HOSTS), redirects are refused rather than followed, and responses are read up to
a limit. Tokens travel in the Authorization header, never in URLs, so no access log or
error message holds one.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from django.conf import settings

logger = logging.getLogger(__name__)

JSON_MAX_BYTES = 256 * 1024


class GraphError(Exception):
    """A Graph call failed. `retryable`: worth trying again later (5xx, 429, network)."""

    def __init__(self, detail: str, *, status: int = 0, code: int | None = None, retryable: bool):
        super().__init__(detail)
        self.detail = detail
        self.status = status
        self.code = code
        self.retryable = retryable


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        raise GraphError(f"refused a redirect ({code})", status=code, retryable=False)


_opener = urllib.request.build_opener(_NoRedirect)
# No proxies from the environment either: a proxy would be another host in the path.
_opener.handlers = [h for h in _opener.handlers if not isinstance(h, urllib.request.ProxyHandler)]


def graph_url(path: str) -> str:
    return f"{settings.META_GRAPH_URL}/{path.lstrip('/')}"


def _host_allowed(url: str) -> bool:
    """Only the Graph host itself, or a configured media host (".fbcdn.net": any subdomain).

    http is allowed only when META_GRAPH_URL itself is http (the local stand-in)."""
    graph = urlsplit(settings.META_GRAPH_URL)
    target = urlsplit(url)
    if target.scheme not in ("https", graph.scheme) or target.username or target.password:
        return False
    if target.netloc == graph.netloc:
        return True
    if target.scheme != "https" or target.port not in (None, 443):
        return False
    host = (target.hostname or "").lower()
    for allowed in settings.META_MEDIA_HOSTS:
        allowed = allowed.lower()
        if allowed.startswith(".") and host.endswith(allowed) and host != allowed[1:]:
            return True
        if host == allowed:
            return True
    return False


def _request(
    method: str, url: str, *, token: str, body: dict[str, Any] | None = None, max_bytes: int
) -> tuple[int, str, bytes]:
    if not _host_allowed(url):
        raise GraphError("refused a URL off the Graph API's hosts", retryable=False)
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)  # noqa: S310 - urlopen happens below, after the host check
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        timeout = settings.SOCIAL_GRAPH_TIMEOUT_SECONDS
        # S310: the scheme and host were checked above (_host_allowed).
        with _opener.open(request, timeout=timeout) as response:
            length = response.headers.get("Content-Length")
            if length and length.isdigit() and int(length) > max_bytes:
                raise GraphError("response too large", status=response.status, retryable=False)
            payload = response.read(max_bytes + 1)
            if len(payload) > max_bytes:
                raise GraphError("response too large", status=response.status, retryable=False)
            return response.status, response.headers.get_content_type(), payload
    except urllib.error.HTTPError as exc:
        raw = exc.read(JSON_MAX_BYTES)
        code, message = None, f"HTTP {exc.code}"
        try:
            error = json.loads(raw or b"{}").get("error") or {}
            code = error.get("code")
            message = f"HTTP {exc.code}, Graph error {code}: {str(error.get('message', ''))[:150]}"
        except (ValueError, AttributeError):
            pass
        retryable = exc.code >= 500 or exc.code == 429 or code in (1, 2, 4, 17, 32, 613)
        raise GraphError(message, status=exc.code, code=code, retryable=retryable) from None
    except GraphError:
        raise
    except (OSError, ValueError) as exc:  # refused, reset, timed out, bad URL
        raise GraphError(f"network: {type(exc).__name__}", retryable=True) from None


def _json(method: str, path: str, *, token: str, body: dict | None = None) -> dict[str, Any]:
    _status, _type, payload = _request(
        method, graph_url(path), token=token, body=body, max_bytes=JSON_MAX_BYTES
    )
    try:
        answer = json.loads(payload or b"{}")
    except ValueError:
        raise GraphError(
            "the Graph API answered with something other than JSON", retryable=True
        ) from None
    if not isinstance(answer, dict):
        raise GraphError("unexpected Graph API answer", retryable=False)
    return answer


@dataclass(frozen=True)
class Sent:
    provider_message_id: str


def messenger_send(
    *,
    token: str,
    recipient_id: str,
    text: str,
    human_agent: bool,
    metadata: str = "",
    quick_replies: list[str] | None = None,
) -> Sent:
    """Send API: a reply within the 24-hour window, or tagged HUMAN_AGENT (7 days).

    `metadata` comes back in the Page's echo of this message, which is how the echo is
    recognised as ours. `quick_replies`: titles (20 characters at most) the resident can tap;
    the tap arrives as an ordinary message with that text."""
    message: dict[str, Any] = {"text": text}
    if metadata:
        message["metadata"] = metadata
    if quick_replies:
        message["quick_replies"] = [
            {"content_type": "text", "title": title[:20], "payload": f"QR{n}"}
            for n, title in enumerate(quick_replies[:13])
        ]
    body: dict[str, Any] = {"recipient": {"id": recipient_id}, "message": message}
    if human_agent:
        body.update(messaging_type="MESSAGE_TAG", tag="HUMAN_AGENT")
    else:
        body["messaging_type"] = "RESPONSE"
    answer = _json("POST", "me/messages", token=token, body=body)
    mid = answer.get("message_id")
    if not isinstance(mid, str) or not mid:
        raise GraphError("the Send API gave no message id", retryable=False)
    return Sent(mid)


def whatsapp_send(
    *,
    token: str,
    phone_number_id: str,
    to: str,
    text: str = "",
    template: tuple[str, str] | None = None,
    buttons: list[str] | None = None,
) -> Sent:
    """Cloud API: free-form text, or an approved template (name, language code).

    `buttons`: up to three reply buttons (titles of 20 characters at most) under the text
    (an `interactive` message, whose text holds at most 1,024 characters); a tap arrives as
    an `interactive` button reply with that title."""
    body: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to,
    }
    if template is not None:
        body.update(
            type="template", template={"name": template[0], "language": {"code": template[1]}}
        )
    elif buttons:
        body.update(
            type="interactive",
            interactive={
                "type": "button",
                "body": {"text": text},
                "action": {
                    "buttons": [
                        {"type": "reply", "reply": {"id": f"b{n}", "title": title[:20]}}
                        for n, title in enumerate(buttons[:3])
                    ]
                },
            },
        )
    else:
        body.update(type="text", text={"preview_url": False, "body": text})
    answer = _json("POST", f"{quote(phone_number_id, safe='')}/messages", token=token, body=body)
    messages = answer.get("messages")
    if not (isinstance(messages, list) and messages and isinstance(messages[0], dict)):
        raise GraphError("the Cloud API gave no message id", retryable=False)
    wamid = messages[0].get("id")
    if not isinstance(wamid, str) or not wamid:
        raise GraphError("the Cloud API gave no message id", retryable=False)
    return Sent(wamid)


def connection_check(*, kind: str, external_id: str, token: str) -> str:
    """What the Graph API says about a connection's token; raises GraphError if unusable."""
    if kind == "messenger":
        answer = _json("GET", "me?fields=id,name", token=token)
        if str(answer.get("id")) != external_id:
            raise GraphError("this token belongs to another Page", retryable=False)
        return f"Page {answer.get('name') or external_id}"
    path = f"{quote(external_id, safe='')}?fields=display_phone_number,verified_name"
    answer = _json("GET", path, token=token)
    return f"{answer.get('verified_name') or 'WhatsApp'} {answer.get('display_phone_number') or ''}"


@dataclass(frozen=True)
class Download:
    content: bytes
    content_type: str


def media_url_for(*, media_id: str, token: str) -> tuple[str, str]:
    """WhatsApp: a media id's short-lived download URL and its MIME type."""
    answer = _json("GET", quote(media_id, safe=""), token=token)
    url = answer.get("url")
    if not isinstance(url, str):
        raise GraphError("no media URL", retryable=False)
    return url, str(answer.get("mime_type") or "")


def media_download(*, url: str, token: str) -> Download:
    """Bytes of a media URL on an allowed host, at most SOCIAL_MEDIA_MAX_BYTES."""
    _status, content_type, payload = _request(
        "GET", url, token=token, max_bytes=settings.SOCIAL_MEDIA_MAX_BYTES
    )
    return Download(payload, content_type)
