"""Demo only: a resident simulator at /demo/social/ on a council host, and the demo seed.

The simulator plays Meta: it signs a Messenger or WhatsApp webhook exactly as Meta would
(META_APP_SECRET) and POSTs it over HTTP to /webhooks/meta on the main host, then lists
the replies the Graph stand-in received for that resident and, as the resident's phone
would, reports each as delivered (a signed status webhook). It can forge any resident's
message, so it is mounted only with DEMO=1 (demo/urls.py: the demo and the tests).
"""

from __future__ import annotations

import json
import secrets
import time
import urllib.request
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import path
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_GET, require_POST

from reliability.validation import InvalidInput, loads_checked
from social.models import SocialConnection
from social.signatures import signature_for

# make demo: West Dorset and Somerset each get a Page and a WhatsApp number.
DEMO_CONNECTIONS = {
    "west-dorset": ("100000000000001", "200000000000001"),
    "somerset": ("100000000000002", "200000000000002"),
}


def seed_social_demo(*, council_id: int, slug: str) -> None:
    """Called by the demo seed inside each council's schema: creates what is missing and
    changes nothing that exists (issue 15, point 9)."""
    from social.connections import connection_save
    from social.models import WhatsAppTemplate

    ids = DEMO_CONNECTIONS.get(slug)
    if ids is None:
        return
    page, phone = ids
    for kind, external_id, extra in (
        ("messenger", page, {"name": "Facebook Page"}),
        (
            "whatsapp",
            phone,
            {"name": "WhatsApp", "waba_id": "300000000000001", "display_number": "+44 7700 900000"},
        ),
    ):
        if SocialConnection.objects.filter(kind=kind, external_id=external_id).exists():
            continue  # created by an earlier run: an admin's changes (switched off...) stay
        conn = SocialConnection(kind=kind, external_id=external_id, enabled=True, **extra)
        connection_save(council_id=council_id, connection=conn, token=f"standin-{external_id}")
    WhatsAppTemplate.objects.get_or_create(
        name="council_follow_up",
        language="en_GB",
        defaults={
            "body_preview": (
                "Hello, this is your council following up your message. Reply to carry on."
            )
        },
    )


def _standin(path_: str, body: dict | None = None) -> Any:
    base = settings.META_GRAPH_URL.rsplit("/v", 1)[0]
    data = json.dumps(body).encode() if body is not None else None
    method = "POST" if data else "GET"
    request = urllib.request.Request(base + path_, data=data, method=method)  # noqa: S310
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 - the stand-in
        return json.loads(response.read())


def _post_webhook(request: HttpRequest, payload: dict) -> int:
    """Sign and POST like Meta, to the main host's /webhooks/meta on this same server."""
    body = json.dumps(payload).encode()
    port = request.META.get("SERVER_PORT") or "80"
    hook = urllib.request.Request(
        f"http://127.0.0.1:{port}/webhooks/meta", data=body, method="POST"
    )
    hook.add_header("Host", f"localhost:{port}")
    hook.add_header("Content-Type", "application/json")
    hook.add_header("X-Hub-Signature-256", signature_for(body, settings.META_APP_SECRET))
    with urllib.request.urlopen(hook, timeout=10) as response:  # noqa: S310 - ourselves
        return response.status


def _connection(kind: str) -> SocialConnection | None:
    return SocialConnection.objects.filter(kind=kind, enabled=True).first()


@require_GET
@ensure_csrf_cookie
def simulator(request: HttpRequest) -> HttpResponse:
    council = request.site_ref.council
    if council is None:
        raise Http404("The simulator is on a council's host.")
    return render(
        request,
        "social/demo/simulator.html",
        {
            "site_title": council.name,
            "council": council,
            "whatsapp": _connection("whatsapp"),
            "messenger": _connection("messenger"),
        },
    )


def _digits(value: Any, length: int) -> str:
    return value if isinstance(value, str) and value.isdigit() and len(value) == length else ""


@require_POST
def simulator_send(request: HttpRequest) -> JsonResponse:
    try:
        data = loads_checked(request.body or b"{}")
    except InvalidInput:
        return JsonResponse({"error": "Send JSON."}, status=400)
    if not isinstance(data, dict):  # a list or a number answered 500 (the hostile crawl)
        return JsonResponse({"error": "Send a JSON object."}, status=400)
    kind = data.get("channel")
    text = data.get("text") if isinstance(data.get("text"), str) else ""
    name = data.get("name") if isinstance(data.get("name"), str) else ""
    user = _digits(data.get("user"), 12 if kind == "whatsapp" else 16)
    conn = _connection(kind) if kind in ("whatsapp", "messenger") else None
    if conn is None or not user or not text.strip() or len(text) > 4000:
        return JsonResponse({"error": "Choose a channel and write a message."}, status=400)
    now = int(time.time())
    if kind == "whatsapp":
        payload = _whatsapp(
            conn.external_id,
            {
                "contacts": [{"profile": {"name": name[:100] or "Resident"}, "wa_id": user}],
                "messages": [
                    {
                        "from": user,
                        "id": "wamid.SIM" + secrets.token_hex(12).upper(),
                        "timestamp": str(now),
                        "type": "text",
                        "text": {"body": text},
                    }
                ],
            },
        )
    else:
        payload = _messenger(
            conn.external_id,
            user,
            now * 1000,
            {"message": {"mid": "m_SIM" + secrets.token_hex(16), "text": text}},
        )
    status = _post_webhook(request, payload)
    return JsonResponse({"webhook_status": status})


@require_GET
def simulator_replies(request: HttpRequest) -> JsonResponse:
    """Replies the stand-in received for this resident; each is reported delivered (as the
    resident's phone would) and shown with its tick once our webhook took the status."""
    kind = request.GET.get("channel")
    user = _digits(request.GET.get("user"), 12 if kind == "whatsapp" else 16)
    conn = _connection(kind) if kind in ("whatsapp", "messenger") else None
    if conn is None or not user:
        return JsonResponse({"replies": []})
    account = conn.external_id if kind == "whatsapp" else "me"
    replies = []
    for sent in _standin("/__control__/sent")["sent"]:
        body = sent["body"]
        to = body.get("to") if kind == "whatsapp" else (body.get("recipient") or {}).get("id")
        if sent["channel"] != kind or sent["account"] != account or to != user:
            continue
        if kind == "whatsapp" and body.get("type") == "template":
            text = f"[template {body['template']['name']}]"
        else:
            text = (
                (body.get("text") or {}).get("body")
                if kind == "whatsapp"
                else body["message"].get("text")
            )
        if not sent["delivered"]:
            now = int(time.time())
            if kind == "whatsapp":
                status = {
                    "id": sent["message_id"],
                    "status": "delivered",
                    "timestamp": str(now),
                    "recipient_id": user,
                }
                payload = _whatsapp(conn.external_id, {"statuses": [status]})
            else:
                payload = _messenger(
                    conn.external_id,
                    user,
                    now * 1000 + 1000,
                    {"delivery": {"watermark": now * 1000 + 1000}},
                )
            if _post_webhook(request, payload) == 200:
                _standin("/__control__/delivered", {"message_id": sent["message_id"]})
                sent["delivered"] = True
        replies.append(
            {"id": sent["message_id"], "text": text or "", "delivered": sent["delivered"]}
        )
    return JsonResponse({"replies": replies})


def _whatsapp(phone_id: str, value: dict) -> dict:
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


def _messenger(page_id: str, user: str, when_ms: int, event: dict) -> dict:
    return {
        "object": "page",
        "entry": [
            {
                "id": page_id,
                "time": when_ms,
                "messaging": [
                    {
                        "sender": {"id": user},
                        "recipient": {"id": page_id},
                        "timestamp": when_ms,
                        **event,
                    }
                ],
            }
        ],
    }


urlpatterns = [
    path("", simulator, name="social-simulator"),
    path("send", simulator_send, name="social-simulator-send"),
    path("replies", simulator_replies, name="social-simulator-replies"),
]
