"""Uploading and fetching attachments as the widget and the console do."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django_tenants.utils import schema_context

from attachments.models import Attachment
from chat.models import Conversation
from councils.sites import CouncilRef
from tests.factories import PASSWORD, StartedChat


def widget_upload(
    chat: StartedChat,
    data: bytes,
    name: str = "pothole.jpg",
    *,
    host: str | None = None,
    token: str | None = None,
    content_type: str = "image/jpeg",
    origin: str | None = None,
):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {chat.token if token is None else token}"}
    if origin:
        headers["HTTP_ORIGIN"] = origin
    client = Client(HTTP_HOST=host or f"{chat.council.slug}.localhost")
    return client.post(
        f"/widget/conversations/{chat.id}/attachments",
        {"file": SimpleUploadedFile(name, data, content_type=content_type)},
        **headers,
    )


def logged_in(council: CouncilRef, username: str) -> Client:
    client = Client(HTTP_HOST=f"{council.slug}.localhost")
    response = client.post(
        "/admin/login/", {"username": username, "password": PASSWORD, "next": "/console/"}
    )
    assert response.status_code == 302, response.content[:300]
    return client


def stored_files(council: CouncilRef) -> list[Path]:
    folder = Path(settings.MEDIA_ROOT) / "private" / council.schema_name / "attachments"
    return sorted(folder.iterdir()) if folder.exists() else []


def attachments_in(council: CouncilRef) -> list[Attachment]:
    with schema_context(council.schema_name):
        return list(Attachment.objects.order_by("created_at"))


def last_seq(chat: StartedChat) -> int:
    with schema_context(chat.council.schema_name):
        return Conversation.objects.get(pk=chat.id).last_seq


def body_of(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content
