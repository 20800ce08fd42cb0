"""Residents' attachments: fetched only through the Graph API host, stored privately per
council, downloaded only by that council's staff, never rendered inline."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.conf import settings
from django.test import Client
from django_tenants.utils import schema_context

from chat.models import Message
from social.media import media_fetch
from social.models import SocialMedia
from tests.factories import operator_in
from tests.social.conftest import wait_for, worker
from tests.social.helpers import messenger_message, whatsapp_message
from tests.social.test_inbound import deliver

pytestmark = pytest.mark.usefixtures("social")

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def elsewhere():
    """Another server on 127.0.0.1 (another port): not the Graph API. Counts its hits."""
    hits = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(PNG)))
            self.end_headers()
            self.wfile.write(PNG)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}", hits
    server.shutdown()


def image_message(media_id: str = "900001") -> dict:
    return whatsapp_message(kind="image", part={"id": media_id, "mime_type": "image/png"})


def media_rows(council) -> list[SocialMedia]:
    with schema_context(council.schema_name):
        return list(SocialMedia.objects.all())


def fetch_all(council) -> None:
    with schema_context(council.schema_name):
        for media in SocialMedia.objects.all():
            media_fetch(council=council, media_id=str(media.pk))


def test_a_whatsapp_image_is_fetched_by_a_worker_and_stored_under_the_councils_private_folder(
    social, graph
):
    graph.media("900001", PNG, "image/png")
    with worker():
        deliver(image_message())
        wait_for(lambda: media_rows(social.alpha)[0].fetched_at, what="the media fetch")
    (media,) = media_rows(social.alpha)
    assert media.file.name.startswith(f"private/{social.alpha.schema_name}/")
    assert media.content_type == "image/png" and media.size == len(PNG)
    assert (settings.MEDIA_ROOT / media.file.name).read_bytes() == PNG
    with schema_context(social.alpha.schema_name):
        message = Message.objects.get(author="visitor")
    (attachment,) = message.extra["attachments"]
    assert attachment["state"] == "stored"
    assert attachment["url"] == f"/social/media/{media.id}/"
    assert message.body == "Photo"


def test_media_is_downloaded_as_an_attachment_by_the_councils_staff_only(social, graph):
    graph.media("900001", PNG, "image/png")
    deliver(image_message())
    fetch_all(social.alpha)
    (media,) = media_rows(social.alpha)
    url = f"/social/media/{media.id}/"

    anonymous = Client(HTTP_HOST="alpha.localhost").get(url)
    assert anonymous.status_code == 302  # to the login page

    operator_in(social.alpha, "alex")
    client = Client(HTTP_HOST="alpha.localhost")
    with schema_context(social.alpha.schema_name):
        from django.contrib.auth import get_user_model

        client.force_login(get_user_model().objects.get(username="alex"))
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "sandbox" in response["Content-Security-Policy"]
    assert b"".join(response.streaming_content) == PNG

    # Beta's staff on Beta's host: the file is not in Beta's schema.
    operator_in(social.beta, "alex")
    beta = Client(HTTP_HOST="beta.localhost")
    with schema_context(social.beta.schema_name):
        from django.contrib.auth import get_user_model

        beta.force_login(get_user_model().objects.get(username="alex"))
    assert beta.get(url).status_code == 404
    # Alpha's session cookie on Beta's host is worthless.
    beta.cookies = client.cookies
    assert beta.get(url).status_code in (302, 404)


def test_a_media_url_off_the_graph_host_is_never_fetched(social, graph, elsewhere):
    base, hits = elsewhere
    graph.media("900002", PNG, "image/png", url=f"{base}/steal")
    deliver(image_message("900002"))
    fetch_all(social.alpha)
    (media,) = media_rows(social.alpha)
    assert hits == []
    assert not media.file and "refused" in media.error


def test_a_redirect_off_the_graph_host_is_not_followed(social, graph, elsewhere):
    base, hits = elsewhere
    graph.media("900003", PNG, "image/png", redirect_to=f"{base}/steal")
    deliver(image_message("900003"))
    fetch_all(social.alpha)
    (media,) = media_rows(social.alpha)
    assert hits == []
    assert not media.file and "redirect" in media.error


def test_a_messenger_attachment_on_an_unknown_host_is_never_fetched(social, graph, elsewhere):
    base, hits = elsewhere
    deliver(
        messenger_message(
            text=None, attachments=[{"type": "image", "payload": {"url": f"{base}/cdn.png"}}]
        )
    )
    fetch_all(social.alpha)
    (media,) = media_rows(social.alpha)
    assert hits == [] and not media.file


@pytest.mark.parametrize("content_type", ["text/html", "image/svg+xml", "application/x-msdownload"])
def test_a_file_type_that_could_run_in_a_browser_is_refused(social, graph, content_type):
    graph.media("900004", b"<script>alert(1)</script>", content_type)
    deliver(image_message("900004"))
    fetch_all(social.alpha)
    (media,) = media_rows(social.alpha)
    assert not media.file and media.error


def test_a_file_over_the_size_limit_is_refused(social, graph, settings):
    settings.SOCIAL_MEDIA_MAX_BYTES = 32
    graph.media("900005", PNG, "image/png")
    deliver(image_message("900005"))
    fetch_all(social.alpha)
    (media,) = media_rows(social.alpha)
    assert not media.file and "too large" in media.error
