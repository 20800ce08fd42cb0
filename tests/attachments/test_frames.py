"""A photo reaches both sides as a stored `message` frame carrying `attachment`: operators
with their console link, the resident with their own signed link (live and on replay); a
chat moved to another council takes its photos with it."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from asgiref.sync import sync_to_async
from django.db import transaction
from django.test import Client
from django_tenants.utils import schema_context

from attachments.models import Attachment
from chat.actions.transfers import transfer_to_council
from tests.attachments import files
from tests.attachments.helpers import attachments_in, body_of, logged_in, stored_files
from tests.attachments.helpers import widget_upload as widget_upload_sync
from tests.factories import accepted_chat_in, operator_in
from tests.sockets import (
    login_session,
    next_of_type,
    open_socket,
    operator_socket,
    visitor_socket,
)

pytestmark = pytest.mark.usefixtures("manual_assignment")

widget_upload = sync_to_async(widget_upload_sync)


async def test_both_sides_get_the_photo_as_a_message_each_with_their_own_link(councils):
    alex = await sync_to_async(operator_in)(councils.alpha, "alex")
    chat = await sync_to_async(accepted_chat_in)(councils.alpha, alex)
    visitor = visitor_socket(chat.id, chat.token, host="alpha.localhost")
    await open_socket(visitor)
    console = operator_socket(councils.alpha, await login_session(councils.alpha, "alex"))
    await open_socket(console)

    response = await widget_upload(chat, files.photo_with_location(), "pothole.jpg")
    item = response.json()["attachment"]

    theirs = await next_of_type(visitor, "message")
    ours = await next_of_type(console, "message")
    assert theirs["attachment"]["url"].startswith(
        f"http://alpha.localhost/widget/attachments/{item['id']}?sig="
    )
    assert ours["attachment"] == {**item, "url": f"/console/attachments/{item['id']}"}
    assert {k: v for k, v in theirs["attachment"].items() if k != "url"} == {
        k: v for k, v in item.items() if k != "url"
    }
    assert (theirs["author"], theirs["body"], theirs["seq"]) == ("visitor", "pothole.jpg", 3)
    assert "extra" not in theirs and "extra" not in ours

    # A replay after a reconnect carries a freshly signed link that works.
    await visitor.disconnect()
    again = visitor_socket(chat.id, chat.token, host="alpha.localhost", after_seq=2)
    await open_socket(again)
    replayed = await next_of_type(again, "message")
    parts = urlsplit(replayed["attachment"]["url"])
    served = await sync_to_async(Client(HTTP_HOST="alpha.localhost").get)(
        f"{parts.path}?{parts.query}"
    )
    assert served.status_code == 200
    await again.disconnect()
    await console.disconnect()


def test_a_chat_moved_to_another_council_takes_its_photos_and_leaves_nothing_behind(councils):
    alex = operator_in(councils.alpha, "alex")
    operator_in(councils.beta, "bea", is_superuser=True)
    chat = accepted_chat_in(councils.alpha, alex)
    item = widget_upload_sync(chat, files.photo_with_location()).json()["attachment"]

    with schema_context(councils.alpha.schema_name), transaction.atomic():
        transfer_to_council(
            council=councils.alpha, conversation_id=chat.id, operator=alex, to_council=councils.beta
        )

    assert attachments_in(councils.alpha) == [] and stored_files(councils.alpha) == []
    (moved,) = attachments_in(councils.beta)
    assert str(moved.id) == item["id"] and moved.message_id is not None
    assert moved.file.name == f"private/{councils.beta.schema_name}/attachments/{item['id']}"
    with schema_context(councils.beta.schema_name):
        assert Attachment.objects.get().message.extra["attachment"]["id"] == item["id"]
    served = logged_in(councils.beta, "bea").get(f"/console/attachments/{item['id']}")
    assert served.status_code == 200
    assert files.gps_of(body_of(served)) == {}
