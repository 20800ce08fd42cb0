"""GET and POST /webhooks/meta on the main host: Meta's subscription check and deliveries.

The POST is verified against META_APP_SECRET over the raw bytes before anything parses
them, refused (403) if the signature is missing or wrong, stored raw and answered 200 at
once; social.tasks processes it. See docs/social.md for the threat model.
"""

from __future__ import annotations

import hmac
import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from social.inbox import inbox_store
from social.signatures import signature_valid

logger = logging.getLogger(__name__)


def _too_large(request: HttpRequest) -> bool:
    length = request.META.get("CONTENT_LENGTH") or ""
    limit = settings.SOCIAL_WEBHOOK_MAX_BYTES
    return length.isdigit() and int(length) > limit


@csrf_exempt  # Meta cannot send a CSRF token; the signature is the authentication.
def meta_webhook(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _verify_subscription(request)
    if request.method != "POST":
        return HttpResponse(status=405, headers={"Allow": "GET, POST"})
    if _too_large(request):
        return HttpResponse("Too large.", status=413, content_type="text/plain")
    # At most limit + 1 bytes, from the stream: request.body would read without a bound
    # (the ASGI middleware social.asgi.webhook_body_limit has already cut longer bodies).
    body = request.read(settings.SOCIAL_WEBHOOK_MAX_BYTES + 1)
    if len(body) > settings.SOCIAL_WEBHOOK_MAX_BYTES:
        return HttpResponse("Too large.", status=413, content_type="text/plain")
    signature = request.headers.get("X-Hub-Signature-256")
    if not signature_valid(body, signature, settings.META_APP_SECRET):
        logger.warning("social webhook: refused a POST with a missing or wrong signature")
        return HttpResponse("Forbidden.", status=403, content_type="text/plain")
    inbox_store(body=body)
    return HttpResponse("OK", content_type="text/plain")


def _verify_subscription(request: HttpRequest) -> HttpResponse:
    mode = request.GET.get("hub.mode", "")
    token = request.GET.get("hub.verify_token", "")
    challenge = request.GET.get("hub.challenge", "")
    expected = settings.META_VERIFY_TOKEN
    if (
        mode == "subscribe"
        and expected
        and hmac.compare_digest(token.encode(), expected.encode())
        and challenge
        and len(challenge) <= 200
    ):
        return HttpResponse(challenge, content_type="text/plain")
    return HttpResponse("Forbidden.", status=403, content_type="text/plain")
