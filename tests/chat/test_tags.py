"""Tags on conversations (issue 15, point 8) over the real operator socket: the council's
list in hello, the whole set replaced by a `tags` frame, bad input refused with nothing
stored, tags never sent to the visitor, and each council's tags its own."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django_tenants.utils import schema_context

from chat.models import Conversation, Tag
from councils.onboarding import COUNCIL_ADMINS, OPERATORS
from privacy import audit
from privacy.access import subject_access
from privacy.registry import Subject
from tests.chat.console_factories import give_email
from tests.councils.helpers import log_in
from tests.factories import PASSWORD, accepted_chat_in, operator_in
from tests.sockets import joined_visitor, login_session, next_of_type, open_socket, operator_socket

pytestmark = pytest.mark.usefixtures("manual_assignment")

start_accepted_chat = sync_to_async(accepted_chat_in)
make_operator = sync_to_async(operator_in)


@sync_to_async
def make_tags(council, *names: str) -> None:
    with schema_context(council.schema_name):
        for position, name in enumerate(names):
            Tag.objects.create(name=name, slug=name.lower().replace(" ", "-"), position=position)


@sync_to_async
def tags_of(council, conversation_id) -> list[str]:
    with schema_context(council.schema_name):
        conversation = Conversation.objects.get(id=conversation_id)
        return list(conversation.tags.values_list("slug", flat=True))


async def console(council, username: str):
    comm = operator_socket(council, await login_session(council, username))
    hello = await open_socket(comm)
    assert hello["type"] == "hello", hello
    return comm, hello


@pytest.mark.invalid_frames  # refused frames on purpose (tests/protocol.py)
async def test_an_operator_sets_their_chats_tags_and_bad_input_changes_nothing(councils):
    await make_tags(councils.alpha, "Complaint", "Blue badge")
    await make_tags(councils.beta, "Housing")
    alex = await make_operator(councils.alpha, "alex")
    chat = await start_accepted_chat(councils.alpha, alex)
    operator, hello = await console(councils.alpha, "alex")
    assert hello["tags"] == [
        {"slug": "complaint", "name": "Complaint"},
        {"slug": "blue-badge", "name": "Blue badge"},
    ]
    visitor = await joined_visitor(chat)

    frame = {"type": "tags", "conversation": str(chat.id), "tags": ["blue-badge", "complaint"]}
    await operator.send_json_to(frame)
    answer = await next_of_type(operator, "tags")
    assert answer["tags"] == [
        {"slug": "complaint", "name": "Complaint"},
        {"slug": "blue-badge", "name": "Blue badge"},
    ]
    assert sorted(await tags_of(councils.alpha, chat.id)) == ["blue-badge", "complaint"]

    # Another council's tag, an unknown one, or the wrong shape: refused, nothing changes.
    for tags, code in ((["housing"], "invalid_tag"), (["complaint", "nope"], "invalid_tag")):
        await operator.send_json_to({**frame, "tags": tags})
        assert (await next_of_type(operator, "error"))["code"] == code
    await operator.send_json_to({**frame, "tags": "complaint"})
    assert (await next_of_type(operator, "error"))["code"] == "invalid_frame"
    assert sorted(await tags_of(councils.alpha, chat.id)) == ["blue-badge", "complaint"]

    await operator.send_json_to({**frame, "tags": []})
    assert (await next_of_type(operator, "tags"))["tags"] == []
    assert await tags_of(councils.alpha, chat.id) == []

    context = {"type": "context", "conversation": str(chat.id)}
    await operator.send_json_to(context)
    assert (await next_of_type(operator, "context"))["tags"] == []
    await visitor.send_json_to({"type": "resume", "after_seq": 0})
    seen = []
    while (received := await visitor.receive_json_from(timeout=5))["type"] != "resumed":
        seen.append(received["type"])
    assert "tags" not in seen
    for comm in (visitor, operator):
        await comm.disconnect()


@pytest.mark.invalid_frames  # refused frames on purpose (tests/protocol.py)
async def test_an_operator_cannot_tag_a_chat_that_is_someone_elses(councils):
    await make_tags(councils.alpha, "Complaint")
    alex = await make_operator(councils.alpha, "alex")
    await make_operator(councils.alpha, "sam")
    chat = await start_accepted_chat(councils.alpha, alex)
    sam, _ = await console(councils.alpha, "sam")
    await sam.send_json_to({"type": "tags", "conversation": str(chat.id), "tags": ["complaint"]})
    assert (await next_of_type(sam, "error"))["code"] == "not_assigned"
    assert await tags_of(councils.alpha, chat.id) == []
    await sam.disconnect()


def test_a_council_admin_manages_the_tag_list_and_an_operator_cannot(committed):

    alpha = committed.alpha
    operator_in(alpha, "alex")
    operator_in(alpha, "sam")
    with schema_context(alpha.schema_name):
        users = get_user_model().objects
        users.get(username="alex").groups.set([Group.objects.get(name=COUNCIL_ADMINS)])
        users.get(username="sam").groups.set([Group.objects.get(name=OPERATORS)])
    admin = log_in("alpha.localhost", "alex", PASSWORD)
    added = admin.post(
        "/admin/chat/tag/add/", {"name": "Blue badge", "slug": "blue-badge", "position": 1}
    )
    assert added.status_code == 302
    with schema_context(alpha.schema_name):
        assert list(Tag.objects.values_list("name", flat=True)) == ["Blue badge"]
    assert b"Blue badge" in admin.get("/admin/chat/tag/").content
    assert log_in("alpha.localhost", "sam", PASSWORD).get("/admin/chat/tag/").status_code == 403


def test_a_subject_access_export_lists_the_tags_on_the_residents_chats(committed):
    alpha = committed.alpha
    alex = operator_in(alpha, "alex")
    chat = accepted_chat_in(alpha, alex, name="Zeb Quartermain")
    give_email(alpha, chat.id, "zeb@example.org")
    with schema_context(alpha.schema_name):
        Tag.objects.create(name="Complaint", slug="complaint").conversations.add(chat.id)
        result = subject_access(
            subject=Subject(email="zeb@example.org"),
            actor=audit.Actor(name="dpo", source="test"),
            council_name="Alpha",
        )
    document = json.loads(zipfile.ZipFile(io.BytesIO(result.zip_bytes)).read("subject-access.json"))
    assert [c["tags"] for c in document["records"]["conversations"]] == [["Complaint"]]
