"""Console additions (issue 5) over the real sockets: read receipts, internal notes, canned
responses, wrap-up outcomes, visitor context and follow-up of enquiries and missed chats."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from django_tenants.utils import schema_context

from chat.models import Conversation, Enquiry, Note
from tests.chat.console_factories import canned_in, enquiry_in, give_email, mark_missed
from tests.factories import accepted_chat_in, chat_in, operator_in
from tests.sockets import (
    drain,
    frames_until,
    joined_visitor,
    login_session,
    next_of_type,
    open_socket,
    operator_socket,
)

pytestmark = pytest.mark.usefixtures("manual_assignment")

start_chat = sync_to_async(chat_in)
start_accepted_chat = sync_to_async(accepted_chat_in)
make_operator = sync_to_async(operator_in)
add_canned = sync_to_async(canned_in)
add_enquiry = sync_to_async(enquiry_in)
set_email = sync_to_async(give_email)
miss = sync_to_async(mark_missed)


@sync_to_async
def stored(council, conversation_id) -> Conversation:
    with schema_context(council.schema_name):
        return Conversation.objects.get(id=conversation_id)


@sync_to_async
def notes_of(council, conversation_id) -> list[tuple[str, str]]:
    with schema_context(council.schema_name):
        return list(
            Note.objects.filter(conversation_id=conversation_id).values_list("author_name", "body")
        )


async def console(council, username: str):
    comm = operator_socket(council, await login_session(council, username))
    hello = await open_socket(comm)
    assert hello["type"] == "hello", hello
    return comm, hello


async def test_when_the_visitor_has_read_up_to_a_seq_then_it_is_stored_and_the_operator_told(
    councils,
):
    alex = await make_operator(councils.alpha, "alex", first_name="Alex", last_name="Morgan")
    chat = await start_accepted_chat(councils.alpha, alex)
    operator, hello = await console(councils.alpha, "alex")
    assert hello["active"][0]["visitor_read_seq"] == 0
    visitor = await joined_visitor(chat)

    await visitor.send_json_to({"type": "read", "seq": 2})
    assert await next_of_type(operator, "read") == {
        "type": "read",
        "conversation": str(chat.id),
        "seq": 2,
    }
    assert (await stored(councils.alpha, chat.id)).visitor_read_seq == 2

    # A reconnecting console learns it from the chat's summary.
    again, hello = await console(councils.alpha, "alex")
    assert hello["active"][0]["visitor_read_seq"] == 2
    for comm in (visitor, operator, again):
        await comm.disconnect()


@pytest.mark.invalid_frames  # refused frames on purpose (tests/protocol.py)
async def test_read_receipts_never_go_backwards_nor_past_the_last_message(councils):
    alex = await make_operator(councils.alpha, "alex")
    chat = await start_accepted_chat(councils.alpha, alex)  # seqs 1 (question) and 2 (joined)
    operator, _ = await console(councils.alpha, "alex")
    visitor = await joined_visitor(chat)

    await visitor.send_json_to({"type": "read", "seq": 99})
    assert (await next_of_type(operator, "read"))["seq"] == 2
    await visitor.send_json_to({"type": "read", "seq": 1})
    await visitor.send_json_to({"type": "read", "seq": "2"})
    assert (await next_of_type(visitor, "error"))["code"] == "invalid_frame"
    assert [f for f in await drain(operator) if f["type"] == "read"] == []
    assert (await stored(councils.alpha, chat.id)).visitor_read_seq == 2
    await visitor.disconnect()
    await operator.disconnect()


async def test_a_note_reaches_the_operator_but_never_the_visitor_nor_the_visitors_replay(
    councils,
):
    alex = await make_operator(councils.alpha, "alex", first_name="Alex", last_name="Morgan")
    chat = await start_accepted_chat(councils.alpha, alex)
    operator, _ = await console(councils.alpha, "alex")
    second_tab, _ = await console(councils.alpha, "alex")
    visitor = await joined_visitor(chat)

    frame = {
        "type": "note",
        "conversation": str(chat.id),
        "client_id": "n-1",
        "body": "Vehicle reg AB12 CDE, fine already paid",
    }
    await operator.send_json_to(frame)
    note = await next_of_type(operator, "note")
    assert (note["conversation"], note["client_id"], note["author"], note["body"]) == (
        str(chat.id),
        "n-1",
        "Alex Morgan",
        "Vehicle reg AB12 CDE, fine already paid",
    )
    assert (await next_of_type(second_tab, "note"))["id"] == note["id"]
    await operator.send_json_to(frame)  # re-sent after a reconnect: stored once
    assert (await next_of_type(operator, "note"))["id"] == note["id"]

    await visitor.send_json_to({"type": "resume", "after_seq": 0})
    seen = await frames_until(visitor, lambda f: f["type"] == "resumed") + await drain(visitor)
    assert "AB12" not in repr(seen)
    assert all(f["type"] != "note" for f in seen)
    assert await notes_of(councils.alpha, chat.id) == [
        ("Alex Morgan", "Vehicle reg AB12 CDE, fine already paid")
    ]
    for comm in (visitor, operator, second_tab):
        await comm.disconnect()


async def test_an_operator_cannot_write_notes_on_someone_elses_chat(councils):
    alex = await make_operator(councils.alpha, "alex")
    await make_operator(councils.alpha, "sam")
    chat = await start_accepted_chat(councils.alpha, alex)
    sam, _ = await console(councils.alpha, "sam")
    await sam.send_json_to(
        {"type": "note", "conversation": str(chat.id), "client_id": "x", "body": "peek"}
    )
    error = await next_of_type(sam, "error")
    assert (error["code"], error["client_id"]) == ("not_assigned", "x")
    await sam.send_json_to({"type": "context", "conversation": str(chat.id)})
    assert (await next_of_type(sam, "error"))["code"] == "not_found"
    assert await notes_of(councils.alpha, chat.id) == []
    await sam.disconnect()


async def test_hello_lists_the_councils_canned_responses_with_their_department(councils):
    await make_operator(councils.alpha, "alex")
    await add_canned(councils.alpha, "hours", "We are open 9 to 5.")
    await add_canned(
        councils.alpha, "pcn", "Your PCN number is on the ticket.", department="parking"
    )
    await add_canned(councils.alpha, "hours", "Rydym ar agor 9 tan 5.", language="cy")
    await add_canned(councils.beta, "beta-only", "Not for alpha.")
    operator, hello = await console(councils.alpha, "alex")
    hours = {"shortcut": "hours", "title": "Hours", "department": None}
    assert hello["canned"] == [
        {**hours, "body": "Rydym ar agor 9 tan 5.", "language": "cy"},
        {**hours, "body": "We are open 9 to 5.", "language": "en"},
        {
            "shortcut": "pcn",
            "title": "Pcn",
            "body": "Your PCN number is on the ticket.",
            "department": "parking",
            "language": "en",
        },
    ]
    await operator.disconnect()


@pytest.mark.invalid_frames  # refused frames on purpose (tests/protocol.py)
async def test_when_an_operator_ends_with_an_outcome_then_the_wrap_up_is_stored(councils):
    alex = await make_operator(councils.alpha, "alex")
    chat = await start_accepted_chat(councils.alpha, alex)
    operator, _ = await console(councils.alpha, "alex")
    await operator.send_json_to({"type": "end", "conversation": str(chat.id), "outcome": "maybe"})
    assert (await next_of_type(operator, "error"))["code"] == "invalid_outcome"
    assert (await stored(councils.alpha, chat.id)).status == "active"

    await operator.send_json_to(
        {"type": "end", "conversation": str(chat.id), "outcome": "referred"}
    )
    assert (await next_of_type(operator, "status"))["status"] == "ended"
    conversation = await stored(councils.alpha, chat.id)
    assert (conversation.outcome, conversation.ended_by) == ("referred", "operator")
    await operator.disconnect()


async def test_context_lists_earlier_chats_with_the_same_email_in_this_council_only(councils):
    alex = await make_operator(councils.alpha, "alex")
    earlier = await start_chat(councils.alpha, message="Bin not collected")
    await set_email(councils.alpha, earlier.id, "jo@example.org")
    elsewhere = await start_chat(councils.beta, message="Beta's business")
    await set_email(councils.beta, elsewhere.id, "jo@example.org")
    stranger = await start_chat(councils.alpha, message="Someone else")
    await set_email(councils.alpha, stranger.id, "other@example.org")
    chat = await start_accepted_chat(councils.alpha, alex, message="Fine appeal")
    await set_email(councils.alpha, chat.id, "Jo@Example.org")

    operator, _ = await console(councils.alpha, "alex")
    await operator.send_json_to({"type": "context", "conversation": str(chat.id)})
    context = await next_of_type(operator, "context")
    assert context["visitor_email"] == "Jo@Example.org"
    assert [(c["id"], c["preview"]) for c in context["earlier"]] == [
        (str(earlier.id), "Bin not collected")
    ]
    assert context["notes"] == []
    await operator.disconnect()


async def test_enquiries_are_listed_for_follow_up_and_handled_once_with_a_note(councils):
    alex = await make_operator(councils.alpha, "alex")
    await make_operator(councils.alpha, "sam")
    enquiry = await add_enquiry(councils.alpha, name="Pat <i>Lee</i>")
    await add_enquiry(councils.beta, name="Beta's resident")
    operator, hello = await console(councils.alpha, "alex")
    sam, _ = await console(councils.alpha, "sam")
    assert [e["name"] for e in hello["followups"]["enquiries"]] == ["Pat <i>Lee</i>"]

    await operator.send_json_to(
        {"type": "handle", "kind": "enquiry", "id": enquiry, "note": "Phoned back, sorted"}
    )
    assert await next_of_type(operator, "handled") == {
        "type": "handled",
        "kind": "enquiry",
        "id": enquiry,
    }
    gone = await next_of_type(sam, "followup_handled")
    assert (gone["kind"], gone["id"]) == ("enquiry", enquiry)

    @sync_to_async
    def handled():
        with schema_context(councils.alpha.schema_name):
            row = Enquiry.objects.get(id=enquiry)
            return row.handled_by_id, row.handled_note, row.handled_at is not None

    assert await handled() == (alex.id, "Phoned back, sorted", True)
    await sam.send_json_to({"type": "handle", "kind": "enquiry", "id": enquiry, "note": ""})
    error = await next_of_type(sam, "error")
    assert (error["code"], error["id"]) == ("already_handled", enquiry)
    await sam.send_json_to({"type": "followups"})
    assert (await next_of_type(sam, "followups"))["enquiries"] == []
    await operator.disconnect()
    await sam.disconnect()


async def test_a_missed_chat_is_listed_for_follow_up_and_handling_it_ends_it_with_a_note(councils):
    alex = await make_operator(councils.alpha, "alex", first_name="Alex", last_name="Morgan")
    chat = await start_chat(councils.alpha, message="Is the tip open?")
    await miss(councils.alpha, chat.id)
    operator, hello = await console(councils.alpha, "alex")
    missed = hello["followups"]["missed"]
    assert [(c["id"], c["preview"]) for c in missed] == [(str(chat.id), "Is the tip open?")]

    await operator.send_json_to({"type": "context", "conversation": str(chat.id)})
    assert (await next_of_type(operator, "context"))["notes"] == []
    await operator.send_json_to(
        {"type": "handle", "kind": "missed", "id": str(chat.id), "note": "Emailed opening times"}
    )
    await next_of_type(operator, "handled")
    conversation = await stored(councils.alpha, chat.id)
    assert (conversation.status, conversation.operator_id, conversation.outcome) == (
        "ended",
        alex.id,
        "resolved",
    )
    assert await notes_of(councils.alpha, chat.id) == [("Alex Morgan", "Emailed opening times")]
    await operator.send_json_to({"type": "followups"})
    assert (await next_of_type(operator, "followups"))["missed"] == []
    await operator.disconnect()


@sync_to_async
def leave_enquiry(host: str, name: str) -> int:
    from django.test import Client

    body = {"name": name, "email": "pat@example.com", "message": "Please call me back."}
    return (
        Client(HTTP_HOST=host)
        .post("/widget/enquiries", body, content_type="application/json")
        .status_code
    )


async def test_a_new_enquiry_reaches_every_console_of_its_council_at_once_and_no_other(councils):
    await make_operator(councils.alpha, "alex")
    await make_operator(councils.beta, "bea")
    alpha_console, _ = await console(councils.alpha, "alex")
    beta_console, _ = await console(councils.beta, "bea")
    await drain(alpha_console)
    await drain(beta_console)

    assert await leave_enquiry("alpha.localhost", "Pat <i>Lee</i>") == 201

    frame = await next_of_type(alpha_console, "followup_add")
    assert frame["kind"] == "enquiry" and frame["item"]["name"] == "Pat <i>Lee</i>"
    assert frame["item"]["email"] == "pat@example.com"
    assert "followup_add" not in [f["type"] for f in await drain(beta_console)]
    for comm in (alpha_console, beta_console):
        await comm.disconnect()
