"""POST /webhooks/meta: only exactly signed bodies are stored; GET answers Meta's check."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from django.test import Client

from social.hub.models import WebhookInbox
from social.signatures import signature_for, signature_valid
from tests.social.helpers import post_webhook, whatsapp_message


@pytest.fixture(scope="module")
def webhook_db(councils, django_db_blocker):
    """Database access without the per-test wipe of every council's chat tables: these
    tests touch only the public inbox, emptied before each test (hundreds of cases)."""
    with django_db_blocker.unblock():
        yield
        WebhookInbox.objects.all().delete()


@pytest.fixture(autouse=True)
def empty_inbox(webhook_db):
    WebhookInbox.objects.all().delete()


SECRET = "test-app-secret"
BODY = json.dumps(whatsapp_message(), separators=(",", ":")).encode()
GOOD = signature_for(BODY, SECRET)


def _tampered(position: int) -> str:
    """The good signature with one hex digit (after "sha256=") changed."""
    chars = list(GOOD)
    index = len("sha256=") + position
    chars[index] = "0" if chars[index] != "0" else "1"
    return "".join(chars)


BAD_HEADERS = {
    **{f"digit {i} changed": _tampered(i) for i in range(64)},
    "wrong secret": signature_for(BODY, "another-secret"),
    "empty secret": signature_for(BODY, ""),
    "missing": None,
    "empty": "",
    "prefix only": "sha256=",
    "no prefix": GOOD[len("sha256=") :],
    "sha1 instead of sha256": "sha1=" + hmac.new(SECRET.encode(), BODY, hashlib.sha1).hexdigest(),
    "sha1 prefix on the sha256 digest": "sha1=" + GOOD[len("sha256=") :],
    "upper-case prefix": "SHA256=" + GOOD[len("sha256=") :],
    "upper-case digest": "sha256=" + GOOD[len("sha256=") :].upper(),
    "space after prefix": "sha256= " + GOOD[len("sha256=") :],
    "trailing space": GOOD + " ",
    "leading space": " " + GOOD,
    "truncated by one": GOOD[:-1],
    "one digit extra": GOOD + "0",
    "doubled": GOOD + GOOD,
    "comma list": GOOD + ",sha256=00",
    "digest of the empty body": signature_for(b"", SECRET),
    "non-hex digits": "sha256=" + "z" * 64,
    "base64 digest": "sha256="
    + __import__("base64")
    .b64encode(hmac.new(SECRET.encode(), BODY, hashlib.sha256).digest())
    .decode(),
    "secret as signature": "sha256=" + SECRET,
    "non-ascii": "sha256=" + "é" * 64,
}


@pytest.mark.parametrize("header", BAD_HEADERS.values(), ids=BAD_HEADERS.keys())
def test_a_post_without_the_exact_signature_is_refused_and_nothing_is_stored(header):
    response = post_webhook(BODY, signature=header)
    assert response.status_code == 403
    assert WebhookInbox.objects.count() == 0


REENCODED = {
    "spaces added": json.dumps(json.loads(BODY)).encode(),
    "keys reordered": json.dumps(json.loads(BODY), sort_keys=True, separators=(",", ":")).encode(),
    "unicode escaped": json.dumps(json.loads(BODY), ensure_ascii=True, separators=(",", ":"))
    .replace("Brian", "Bri\\u0061n")
    .encode(),
    "trailing newline": BODY + b"\n",
    "utf-16": BODY.decode().encode("utf-16"),
}


@pytest.mark.parametrize("body", REENCODED.values(), ids=REENCODED.keys())
def test_a_body_re_encoded_after_signing_is_refused(body):
    assert body != BODY
    response = post_webhook(body, signature=GOOD)
    assert response.status_code == 403
    assert WebhookInbox.objects.count() == 0


def test_the_exactly_signed_body_is_stored_raw_and_answered_200():
    response = post_webhook(BODY, signature=GOOD)
    assert response.status_code == 200
    (row,) = WebhookInbox.objects.all()
    assert bytes(row.body) == BODY
    assert row.processed_at is None


def test_an_empty_body_is_stored_only_with_its_own_signature():
    assert post_webhook(b"", signature=GOOD).status_code == 403
    assert post_webhook(b"", signature=signature_for(b"", SECRET)).status_code == 200
    assert WebhookInbox.objects.count() == 1


def test_with_no_app_secret_configured_every_post_is_refused(settings):
    settings.META_APP_SECRET = ""
    assert post_webhook(BODY, signature=signature_for(BODY, "")).status_code == 403
    assert not signature_valid(BODY, signature_for(BODY, ""), "")
    assert WebhookInbox.objects.count() == 0


def test_a_body_over_one_mebibyte_gets_413_and_is_not_stored():
    big = b'{"object":"page","entry":[],"pad":"' + b"x" * (1024 * 1024) + b'"}'
    response = post_webhook(big)
    assert response.status_code == 413
    assert WebhookInbox.objects.count() == 0


def test_the_webhook_is_only_on_the_main_host():
    response = Client(HTTP_HOST="alpha.localhost").post(
        "/webhooks/meta", data=BODY, content_type="application/json", HTTP_X_HUB_SIGNATURE_256=GOOD
    )
    assert response.status_code != 200
    assert WebhookInbox.objects.count() == 0


def verify(**params):
    return Client(HTTP_HOST="localhost").get("/webhooks/meta", params)


def test_metas_subscription_check_echoes_the_challenge_as_plain_text():
    response = verify(
        **{
            "hub.mode": "subscribe",
            "hub.verify_token": "test-verify-token",
            "hub.challenge": "1158201444",
        }
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert response.content == b"1158201444"


@pytest.mark.parametrize(
    "params",
    [
        {"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1"},
        {"hub.mode": "unsubscribe", "hub.verify_token": "test-verify-token", "hub.challenge": "1"},
        {"hub.verify_token": "test-verify-token", "hub.challenge": "1"},
        {"hub.mode": "subscribe", "hub.challenge": "1"},
        {},
    ],
)
def test_a_wrong_subscription_check_gets_403(params):
    assert verify(**params).status_code == 403


async def _asgi_post(headers: list[tuple[bytes, bytes]], chunks: list[bytes]) -> tuple[int, int]:
    """POST through the real ASGI application; (status, body chunks it asked for)."""
    from asgiref.testing import ApplicationCommunicator

    from config.asgi import application

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/webhooks/meta",
        "raw_path": b"/webhooks/meta",
        "query_string": b"",
        "headers": [(b"host", b"localhost"), *headers],
        "scheme": "http",
        "server": ("127.0.0.1", 80),
        "client": ("127.0.0.1", 5000),
        "http_version": "1.1",
        "asgi": {"version": "3.0"},
    }
    communicator = ApplicationCommunicator(application, scope)
    for i, chunk in enumerate(chunks):
        await communicator.send_input(
            {"type": "http.request", "body": chunk, "more_body": i < len(chunks) - 1}
        )
    start = await communicator.receive_output(timeout=10)
    await communicator.receive_output(timeout=10)
    await communicator.wait(timeout=10)
    return start["status"], len(chunks)


async def test_the_asgi_guard_refuses_a_large_content_length_before_reading_the_body():
    status, _ = await _asgi_post([(b"content-length", str(5 * 1024 * 1024).encode())], [b"x"])
    assert status == 413


async def test_the_asgi_guard_refuses_a_chunked_body_once_it_passes_one_mebibyte():
    chunk = b"x" * (256 * 1024)
    status, _ = await _asgi_post([], [chunk] * 5)
    assert status == 413
