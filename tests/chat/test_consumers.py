"""The two websockets, driven through the real ASGI stack against PostgreSQL and Redis."""

from __future__ import annotations

import uuid

import pytest
from asgiref.sync import sync_to_async
from django_tenants.utils import schema_context

from chat.models import Conversation, Message
from chat.tokens import TokenExpired, visitor_token_read
from tests.factories import accepted_chat_in, chat_in, operator_in
from tests.polling import apoll_until
from tests.sockets import (
    drain,
    expect_refused,
    frames_until,
    joined_visitor,
    login_session,
    next_of_type,
    open_socket,
    operator_socket,
    visitor_socket,
)

pytestmark = pytest.mark.usefixtures("manual_assignment")

start_chat = sync_to_async(chat_in)
start_accepted_chat = sync_to_async(accepted_chat_in)
make_operator = sync_to_async(operator_in)


@sync_to_async
def stored_messages(council, conversation_id) -> list[tuple[int, str, str]]:
    with schema_context(council.schema_name):
        return list(
            Message.objects.filter(conversation_id=conversation_id)
            .order_by("seq")
            .values_list("seq", "author", "body")
        )


@sync_to_async
def conversation_status(council, conversation_id) -> str:
    with schema_context(council.schema_name):
        return Conversation.objects.get(id=conversation_id).status


async def test_given_a_queued_chat_when_the_visitor_connects_then_hello_gives_status_and_last_seq(
    councils,
):
    chat = await start_chat(councils.alpha)
    visitor = visitor_socket(chat.id, chat.token, host="alpha.localhost")
    hello = await open_socket(visitor)
    assert hello == {
        "type": "hello",
        "conversation": str(chat.id),
        "status": "queued",
        "last_seq": 1,
        "operator": None,
    }
    await visitor.disconnect()


async def test_given_an_accepted_chat_when_visitor_and_operator_write_then_each_receives_the_other(
    councils,
):
    alex = await make_operator(councils.alpha, "alex", first_name="Alex", last_name="Morgan")
    chat = await start_accepted_chat(councils.alpha, alex)
    operator = operator_socket(councils.alpha, await login_session(councils.alpha, "alex"))
    hello = await open_socket(operator)
    assert [c["id"] for c in hello["active"]] == [str(chat.id)]
    visitor = await joined_visitor(chat)

    await visitor.send_json_to({"type": "message", "client_id": "v-1", "body": "My car was towed"})
    ack = await next_of_type(visitor, "ack")
    got = await next_of_type(operator, "message")
    assert got["conversation"] == str(chat.id)
    assert (got["author"], got["body"], got["client_id"]) == ("visitor", "My car was towed", "v-1")
    assert got["seq"] == ack["seq"]

    await operator.send_json_to(
        {"type": "message", "conversation": str(chat.id), "client_id": "o-1", "body": "Sorry!"}
    )
    op_ack = await next_of_type(operator, "ack")
    reply = await next_of_type(visitor, "message")
    while reply["author"] != "operator":
        reply = await next_of_type(visitor, "message")
    assert reply["body"] == "Sorry!"
    assert reply["name"] == "Alex"  # residents see the first name (issue 15)
    assert reply["seq"] == op_ack["seq"] == ack["seq"] + 1
    assert "conversation" not in reply
    assert await stored_messages(councils.alpha, chat.id) == [
        (1, "visitor", "How do I pay a parking fine?"),
        (2, "system", "Alex joined the chat."),
        (3, "visitor", "My car was towed"),
        (4, "operator", "Sorry!"),
    ]
    await visitor.disconnect()
    await operator.disconnect()


async def test_when_an_operator_accepts_then_the_visitor_hears_who_and_other_operators_lose_it(
    councils,
):
    await make_operator(councils.alpha, "alex", first_name="Alex", last_name="Morgan")
    await make_operator(councils.alpha, "sam", first_name="Sam", last_name="Patel")
    chat = await start_chat(councils.alpha)
    visitor = await joined_visitor(chat)
    alex = operator_socket(councils.alpha, await login_session(councils.alpha, "alex"))
    sam = operator_socket(councils.alpha, await login_session(councils.alpha, "sam"))
    assert str(chat.id) in [c["id"] for c in (await open_socket(alex))["queue"]]
    await open_socket(sam)

    await alex.send_json_to({"type": "accept", "conversation": str(chat.id)})
    accepted = await next_of_type(alex, "accepted")
    assert accepted["conversation"]["operator"] == "Alex"
    status = await next_of_type(visitor, "status")
    assert status == {"type": "status", "status": "active", "operator": "Alex"}
    removed = await next_of_type(sam, "queue_remove")
    assert removed == {"type": "queue_remove", "conversation": str(chat.id), "reason": "accepted"}

    await sam.send_json_to({"type": "accept", "conversation": str(chat.id)})
    error = await next_of_type(sam, "error")
    assert error["code"] == "already_taken"
    for comm in (visitor, alex, sam):
        await comm.disconnect()


async def test_given_two_councils_when_a_chat_starts_then_only_its_councils_operators_hear_of_it(
    councils,
):
    await make_operator(councils.alpha, "alex")
    await make_operator(councils.beta, "alex")  # same username, different council
    alpha_op = operator_socket(councils.alpha, await login_session(councils.alpha, "alex"))
    beta_op = operator_socket(councils.beta, await login_session(councils.beta, "alex"))
    await open_socket(alpha_op)
    await open_socket(beta_op)

    chat = await start_chat(councils.alpha, name="Alpha resident")
    added = await next_of_type(alpha_op, "queue_add")
    assert added["conversation"]["id"] == str(chat.id)
    assert added["conversation"]["visitor_name"] == "Alpha resident"
    assert str(chat.id) not in str(await drain(beta_op))

    # The beta operator cannot take, read, write to or end it.
    for frame in (
        {"type": "accept", "conversation": str(chat.id)},
        {"type": "resume", "conversation": str(chat.id), "after_seq": 0},
        {"type": "message", "conversation": str(chat.id), "client_id": "x", "body": "hi"},
        {"type": "end", "conversation": str(chat.id)},
    ):
        await beta_op.send_json_to(frame)
        error = await next_of_type(beta_op, "error")
        assert error["code"] == "not_found", frame
    await beta_op.send_json_to({"type": "sync"})
    assert str(chat.id) not in [c["id"] for c in (await next_of_type(beta_op, "hello"))["queue"]]
    assert await conversation_status(councils.alpha, chat.id) == "queued"
    assert len(await stored_messages(councils.alpha, chat.id)) == 1
    await alpha_op.disconnect()
    await beta_op.disconnect()


async def test_given_a_dropped_visitor_socket_when_it_resumes_then_it_gets_each_missed_message_once(
    councils,
):
    alex = await make_operator(councils.alpha, "alex", first_name="Alex", last_name="Morgan")
    chat = await start_accepted_chat(councils.alpha, alex)
    visitor = visitor_socket(chat.id, chat.token, host="alpha.localhost")
    hello = await open_socket(visitor)
    seen_up_to = hello["last_seq"]
    await visitor.disconnect()

    operator = operator_socket(councils.alpha, await login_session(councils.alpha, "alex"))
    await open_socket(operator)
    for n in range(3):
        await operator.send_json_to(
            {
                "type": "message",
                "conversation": str(chat.id),
                "client_id": f"o{n}",
                "body": f"reply {n}",
            }
        )
        await next_of_type(operator, "ack")

    visitor = await joined_visitor(chat)
    await visitor.send_json_to({"type": "resume", "after_seq": seen_up_to})
    frames = await frames_until(visitor, lambda f: f["type"] == "resumed")
    messages = [f for f in frames if f["type"] == "message"]
    assert [m["body"] for m in messages] == ["reply 0", "reply 1", "reply 2"]
    assert [m["seq"] for m in messages] == [seen_up_to + 1, seen_up_to + 2, seen_up_to + 3]
    assert frames[-1] == {"type": "resumed", "last_seq": seen_up_to + 3}

    # A later live message arrives once, not again after the replay.
    await assert_live_message_arrives_once(operator, visitor, chat, seq=seen_up_to + 4)
    await visitor.disconnect()
    await operator.disconnect()


async def assert_live_message_arrives_once(operator, visitor, chat, *, seq: int) -> None:
    """The operator writes; the visitor gets it live with `seq`, and nothing more."""
    await operator.send_json_to(
        {"type": "message", "conversation": str(chat.id), "client_id": "o9", "body": "live"}
    )
    live = await next_of_type(visitor, "message")
    assert (live["seq"], live["body"]) == (seq, "live")
    assert await visitor.receive_nothing(timeout=0.3)


async def test_given_messages_the_layer_never_delivered_when_a_later_one_arrives_then_gap_is_filled(
    councils,
):
    chat = await start_chat(councils.alpha)
    visitor = await joined_visitor(chat)

    @sync_to_async
    def store_silently(count: int) -> None:
        # Stored but never announced: what a dropped channel-layer message looks like.
        with schema_context(councils.alpha.schema_name):
            conv = Conversation.objects.get(id=chat.id)
            for _ in range(count):
                conv.last_seq += 1
                Message.objects.create(
                    conversation=conv,
                    seq=conv.last_seq,
                    author="system",
                    author_name="",
                    body=f"silent {conv.last_seq}",
                )
            conv.save(update_fields=["last_seq"])

    await store_silently(2)
    await visitor.send_json_to({"type": "message", "client_id": "v-after", "body": "anyone?"})
    frames = await frames_until(visitor, lambda f: f["type"] == "message" and f["seq"] == 4)
    assert [f["seq"] for f in frames if f["type"] == "message"] == [2, 3, 4]
    await visitor.disconnect()


async def test_when_a_client_id_is_sent_twice_then_the_same_ack_comes_back_and_one_row_is_stored(
    councils,
):
    chat = await start_chat(councils.alpha)
    visitor = await joined_visitor(chat)
    frame = {"type": "message", "client_id": "same", "body": "only once"}
    await visitor.send_json_to(frame)
    first = await next_of_type(visitor, "ack")
    await visitor.send_json_to(frame)
    second = await next_of_type(visitor, "ack")
    assert first == second == {"type": "ack", "client_id": "same", "seq": 2}
    assert [m[2] for m in await stored_messages(councils.alpha, chat.id)].count("only once") == 1
    await visitor.disconnect()


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("not json", "invalid_json"),
        ("[1, 2]", "invalid_frame"),
        ('{"no": "type"}', "invalid_frame"),
        ('{"type": "launch"}', "unknown_type"),
        ('{"type": "message", "body": "no client id"}', "invalid_frame"),
        ('{"type": "message", "client_id": "a", "body": "   "}', "body_empty"),
        ('{"type": "message", "client_id": "b", "body": 42}', "invalid_frame"),
        ('{"type": "message", "client_id": "' + "c" * 65 + '", "body": "x"}', "invalid_frame"),
        ('{"type": "message", "client_id": "d", "body": "' + "x" * 4001 + '"}', "body_too_long"),
        ('{"type": "resume", "after_seq": -1}', "invalid_frame"),
        # Checked against the frame's schema before any handler (chat/protocol.py):
        ('{"type": "message", "client_id": "f", "body": "x", "colour": "red"}', "invalid_frame"),
        ('{"type": "typing", "active": "yes"}', "invalid_frame"),
        ('{"type": "read", "seq": 1.5}', "invalid_frame"),
        ('{"type": "feedback", "seq": 0, "helpful": true}', "invalid_frame"),
        ('{"type": "end", "reason": "bored"}', "invalid_frame"),
        ('{"type": "message", "client_id": "e", "body": "' + "y" * 17000 + '"}', "frame_too_large"),
    ],
)
@pytest.mark.invalid_frames  # refused frames on purpose (tests/protocol.py)
async def test_when_a_visitor_sends_a_bad_frame_then_an_error_names_it_and_nothing_is_stored(
    councils, raw, code
):
    chat = await start_chat(councils.alpha)
    visitor = await joined_visitor(chat)
    await visitor.send_to(text_data=raw)
    error = await visitor.receive_json_from(timeout=5)
    assert error["type"] == "error"
    assert error["code"] == code
    assert error["detail"]
    # The socket is still usable and nothing was stored by the bad frame.
    await visitor.send_json_to({"type": "message", "client_id": "ok", "body": "still here"})
    assert (await next_of_type(visitor, "ack"))["seq"] == 2
    assert len(await stored_messages(councils.alpha, chat.id)) == 2
    await visitor.disconnect()


@pytest.mark.invalid_frames  # refused frames on purpose (tests/protocol.py)
async def test_when_a_visitor_sends_a_binary_frame_then_it_is_refused_politely(councils):
    chat = await start_chat(councils.alpha)
    visitor = await joined_visitor(chat)
    await visitor.send_to(bytes_data=b"\x00\x01")
    assert (await visitor.receive_json_from())["code"] == "binary_not_supported"
    await visitor.disconnect()


async def test_given_a_token_for_one_council_when_used_on_another_councils_host_then_closed_4403(
    councils,
):
    chat = await start_chat(councils.alpha)
    await expect_refused(
        visitor_socket(chat.id, chat.token, host="beta.localhost"), 4403, "forbidden"
    )
    await expect_refused(
        visitor_socket(chat.id, chat.token, host="gamma.localhost"), 4403, "forbidden"
    )


async def test_given_a_member_councils_token_when_used_on_the_partnership_host_then_it_connects(
    councils,
):
    chat = await start_chat(councils.alpha)
    visitor = visitor_socket(chat.id, chat.token, host=councils.partnership_host)
    hello = await open_socket(visitor)
    assert hello["type"] == "hello"
    await visitor.send_json_to({"type": "message", "client_id": "p1", "body": "via partnership"})
    assert (await next_of_type(visitor, "ack"))["seq"] == 2
    assert (await stored_messages(councils.alpha, chat.id))[-1][2] == "via partnership"
    await visitor.disconnect()


def token_has_expired(token: str) -> bool:
    try:
        visitor_token_read(token)
    except TokenExpired:
        return True
    return False


async def test_given_bad_or_missing_tokens_then_the_visitor_socket_closes_with_the_documented_code(
    councils, settings
):
    chat = await start_chat(councils.alpha)
    other = await start_chat(councils.alpha)
    await expect_refused(
        visitor_socket(chat.id, None, host="alpha.localhost"), 4400, "token_missing"
    )
    await expect_refused(
        visitor_socket(chat.id, chat.token[:-2] + "xx", host="alpha.localhost"),
        4401,
        "token_invalid",
    )
    await expect_refused(
        visitor_socket(chat.id, other.token, host="alpha.localhost"), 4403, "forbidden"
    )
    await expect_refused(
        visitor_socket("not-a-uuid", chat.token, host="alpha.localhost"), 4403, "forbidden"
    )
    settings.VISITOR_TOKEN_MAX_AGE = 0
    await apoll_until(lambda: token_has_expired(chat.token), "the token to be older than 0 s")
    await expect_refused(
        visitor_socket(chat.id, chat.token, host="alpha.localhost"), 4401, "token_expired"
    )


async def test_given_an_origin_off_the_allow_list_then_the_visitor_socket_closes_4403(councils):
    chat = await start_chat(councils.alpha)
    for origin in ("https://evil.example", None, "null", "http://gamma.localhost"):
        await expect_refused(
            visitor_socket(chat.id, chat.token, host="alpha.localhost", origin=origin),
            4403,
            "origin_not_allowed",
        )
    for origin in (
        "https://www.alpha.gov.uk",
        "https://secure.alpha.gov.uk",
        "http://wessex.localhost:8000",
    ):
        visitor = visitor_socket(chat.id, chat.token, host="alpha.localhost", origin=origin)
        assert (await open_socket(visitor))["type"] == "hello", origin
        await visitor.disconnect()
    # A full-origin entry pins the scheme: http://secure.alpha.gov.uk is not https.
    await expect_refused(
        visitor_socket(
            chat.id, chat.token, host="alpha.localhost", origin="http://secure.alpha.gov.uk"
        ),
        4403,
        "origin_not_allowed",
    )


async def test_given_an_unknown_host_or_path_then_the_socket_closes_4404(councils):
    chat = await start_chat(councils.alpha)
    await expect_refused(
        visitor_socket(chat.id, chat.token, host="nobody.localhost"), 4404, "unknown_host"
    )
    await expect_refused(
        visitor_socket(uuid.uuid4(), "t", host="alpha.localhost").__class__(
            __import__("config.asgi").asgi.application,
            "/ws/nothing/",
            headers=[(b"host", b"alpha.localhost"), (b"origin", b"http://alpha.localhost")],
        ),
        4404,
        "not_found",
    )


async def test_operator_socket_refuses_anonymous_non_staff_and_other_councils_sessions(councils):
    await make_operator(councils.alpha, "alex", is_superuser=True)
    await make_operator(councils.alpha, "resident", is_staff=False)
    alpha_session = await login_session(councils.alpha, "alex")
    await expect_refused(operator_socket(councils.alpha, None), 4401, "login_required")
    await expect_refused(operator_socket(councils.alpha, "garbage"), 4401, "login_required")
    await expect_refused(
        operator_socket(councils.alpha, await login_session(councils.alpha, "resident")),
        4403,
        "forbidden",
    )
    # Alpha's superuser is nobody on beta's host, even with a valid alpha session.
    await expect_refused(operator_socket(councils.beta, alpha_session), 4401, "login_required")
    # The console only opens from the council's own pages.
    await expect_refused(
        operator_socket(councils.alpha, alpha_session, origin="https://www.alpha.gov.uk"),
        4403,
        "origin_not_allowed",
    )
    await expect_refused(
        operator_socket(
            councils.alpha,
            alpha_session,
            host=councils.partnership_host,
            origin=f"http://{councils.partnership_host}",
        ),
        4404,
        "unknown_host",
    )


async def test_when_the_operator_ends_a_chat_then_the_visitor_is_told_and_cannot_write_more(
    councils,
):
    alex = await make_operator(councils.alpha, "alex", first_name="Alex", last_name="Morgan")
    chat = await start_accepted_chat(councils.alpha, alex)
    visitor = await joined_visitor(chat)
    operator = operator_socket(councils.alpha, await login_session(councils.alpha, "alex"))
    await open_socket(operator)
    await operator.send_json_to({"type": "end", "conversation": str(chat.id)})
    status = await next_of_type(visitor, "status")
    assert status["status"] == "ended"
    await visitor.send_json_to({"type": "message", "client_id": "late", "body": "wait"})
    assert (await next_of_type(visitor, "error"))["code"] == "conversation_closed"
    assert await conversation_status(councils.alpha, chat.id) == "ended"
    await visitor.disconnect()
    await operator.disconnect()


async def test_when_the_visitor_ends_a_queued_chat_then_operators_see_it_leave_the_queue(councils):
    await make_operator(councils.alpha, "alex")
    operator = operator_socket(councils.alpha, await login_session(councils.alpha, "alex"))
    await open_socket(operator)
    chat = await start_chat(councils.alpha)
    await next_of_type(operator, "queue_add")
    visitor = await joined_visitor(chat)
    await visitor.send_json_to({"type": "end"})
    assert (await next_of_type(visitor, "status"))["status"] == "ended"
    removed = await next_of_type(operator, "queue_remove")
    assert removed["reason"] == "ended"
    await visitor.disconnect()
    await operator.disconnect()


async def test_typing_is_relayed_both_ways_and_never_stored(councils):
    alex = await make_operator(councils.alpha, "alex", first_name="Alex", last_name="Morgan")
    chat = await start_accepted_chat(councils.alpha, alex)
    visitor = await joined_visitor(chat)
    operator = operator_socket(councils.alpha, await login_session(councils.alpha, "alex"))
    await open_socket(operator)
    await visitor.send_json_to({"type": "typing", "active": True})
    typing = await next_of_type(operator, "typing")
    assert typing == {
        "type": "typing",
        "conversation": str(chat.id),
        "author": "visitor",
        "active": True,
    }
    await operator.send_json_to({"type": "typing", "conversation": str(chat.id), "active": True})
    typing = await next_of_type(visitor, "typing")
    assert typing == {"type": "typing", "author": "operator", "name": "Alex", "active": True}
    assert len(await stored_messages(councils.alpha, chat.id)) == 2  # question + joined
    await visitor.disconnect()
    await operator.disconnect()


async def test_when_a_visitor_resumes_past_the_end_then_resumed_gives_the_true_last_seq(councils):
    chat = await start_chat(councils.alpha)
    visitor = await joined_visitor(chat)
    await visitor.send_json_to({"type": "resume", "after_seq": 99})
    assert await visitor.receive_json_from() == {"type": "resumed", "last_seq": 1}
    await visitor.send_json_to({"type": "resume", "after_seq": 0})
    frames = await frames_until(visitor, lambda f: f["type"] == "resumed")
    assert [f["seq"] for f in frames if f["type"] == "message"] == [1]
    await visitor.disconnect()


async def test_given_after_seq_on_the_socket_url_when_it_opens_then_hello_replay_and_resumed_follow(
    councils,
):
    alex = await make_operator(councils.alpha, "alex", first_name="Alex", last_name="Morgan")
    chat = await start_accepted_chat(councils.alpha, alex)
    visitor = visitor_socket(chat.id, chat.token, host="alpha.localhost")
    seen_up_to = (await open_socket(visitor))["last_seq"]
    await visitor.disconnect()
    operator = operator_socket(councils.alpha, await login_session(councils.alpha, "alex"))
    await open_socket(operator)
    for n in range(2):
        await operator.send_json_to(
            {"type": "message", "conversation": str(chat.id), "client_id": f"o{n}", "body": f"r{n}"}
        )
        await next_of_type(operator, "ack")

    # The widget reconnects saying what it has shown; it sends no `resume` frame.
    visitor = visitor_socket(chat.id, chat.token, host="alpha.localhost", after_seq=seen_up_to)
    hello = await open_socket(visitor)
    assert (hello["type"], hello["status"], hello["operator"]) == ("hello", "active", "Alex")
    assert hello["last_seq"] == seen_up_to + 2
    frames = await frames_until(visitor, lambda f: f["type"] == "resumed")
    assert [(f["seq"], f["body"]) for f in frames[:-1]] == [
        (seen_up_to + 1, "r0"),
        (seen_up_to + 2, "r1"),
    ]
    assert frames[-1] == {"type": "resumed", "last_seq": seen_up_to + 2}

    # Live messages continue from there, each once.
    await assert_live_message_arrives_once(operator, visitor, chat, seq=seen_up_to + 3)
    await visitor.disconnect()
    await operator.disconnect()


async def test_given_a_malformed_after_seq_on_the_socket_url_then_it_closes_4400(councils):
    chat = await start_chat(councils.alpha)
    for bad in ("-1", "two", "1.5", "²", "9" * 30):
        await expect_refused(
            visitor_socket(chat.id, chat.token, host="alpha.localhost", after_seq=bad),
            4400,
            "invalid_after_seq",
        )
    assert [seq for seq, _a, _b in await stored_messages(councils.alpha, chat.id)] == [1]


async def test_given_a_chat_that_no_longer_exists_when_the_visitor_connects_then_it_closes_4404(
    councils,
):
    chat = await start_chat(councils.alpha)
    await sync_to_async(delete_chat)(councils.alpha, chat.id)
    await expect_refused(
        visitor_socket(chat.id, chat.token, host="alpha.localhost"), 4404, "not_found"
    )


def delete_chat(council, conversation_id) -> None:
    with schema_context(council.schema_name):
        Conversation.objects.filter(id=conversation_id).delete()


async def test_when_frames_and_events_reach_a_socket_then_no_idle_orm_thread_hop_is_queued(
    councils, monkeypatch
):
    # Channels' own dispatch hops to the ORM thread (close_old_connections) before every
    # frame and event; ours must not: that queue is what a reconnect storm drowned in (B2).
    hops = []

    async def counted():
        hops.append(1)

    monkeypatch.setattr("channels.consumer.aclose_old_connections", counted)
    monkeypatch.setattr("channels.generic.websocket.aclose_old_connections", counted)
    alex = await make_operator(councils.alpha, "alex")
    chat = await start_accepted_chat(councils.alpha, alex)
    operator = operator_socket(councils.alpha, await login_session(councils.alpha, "alex"))
    await open_socket(operator)
    visitor = await joined_visitor(chat)
    await visitor.send_json_to({"type": "message", "client_id": "v-1", "body": "hello"})
    await next_of_type(visitor, "ack")
    await next_of_type(operator, "message")
    await visitor.send_json_to({"type": "typing", "active": True})
    await next_of_type(operator, "typing")
    await visitor.disconnect()
    await operator.disconnect()
    assert hops == []
    assert [body for _seq, _a, body in await stored_messages(councils.alpha, chat.id)][
        -1
    ] == "hello"


async def test_given_a_host_answer_near_expiry_when_a_socket_connects_then_it_is_refreshed_behind(
    councils, monkeypatch
):
    from councils import local_cache, sites

    chat = await start_chat(councils.alpha)
    visitor = await joined_visitor(chat)  # the answer for alpha.localhost is now cached
    await visitor.disconnect()
    later = local_cache._now() + sites.HOST_CACHE_SECONDS * 0.8
    monkeypatch.setattr(local_cache, "_now", lambda: later)
    assert sites._sites.due_for_refresh("alpha.localhost")

    visitor = await joined_visitor(chat)  # served from the cache at once...
    await visitor.disconnect()
    await apoll_until(  # ...while the answer is reloaded behind it
        lambda: not sites._sites.due_for_refresh("alpha.localhost"),
        "the cached answer for alpha.localhost to be refreshed",
        timeout=5,
    )
    assert sites.site_for_host_if_cached("alpha.localhost")[1].council.id == councils.alpha.id
