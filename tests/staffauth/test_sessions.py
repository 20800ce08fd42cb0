"""Sessions end: idle and absolute limits per council, sign-out everywhere, disabled accounts;
and the operator's open console closes with them."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth import get_user_model
from django.test import Client, override_settings
from django.utils import timezone
from django_tenants.utils import schema_context

from chat.models import Conversation
from routing.models import OperatorPresence
from staffauth.models import StaffSession
from tests.admin.factories import council_admin, operator
from tests.factories import PASSWORD, accepted_chat_in, operator_in
from tests.sockets import (
    expect_refused,
    login_session,
    next_of_type,
    open_socket,
    operator_socket,
)
from tests.staffauth.conftest import password_login, sign_in_rules

pytestmark = pytest.mark.usefixtures("signin")


def signed_in(council, username: str) -> Client:
    client = Client(HTTP_HOST=council.hosts[0])
    assert password_login(client, username, PASSWORD).status_code == 302
    return client


def age_session(council, client: Client, **fields) -> None:
    with schema_context(council.schema_name):
        StaffSession.objects.filter(session_key=client.cookies["sessionid"].value).update(**fields)


def test_a_session_idle_past_the_councils_limit_ends_with_a_message(councils):
    sign_in_rules(councils.alpha, idle_minutes=10, two_factor_for_admins=False)
    operator(councils.alpha, "sam")
    client = signed_in(councils.alpha, "sam")
    age_session(councils.alpha, client, last_seen_at=timezone.now() - timedelta(minutes=9))
    assert client.get("/console/").status_code == 200  # 9 minutes idle: still fine
    age_session(councils.alpha, client, last_seen_at=timezone.now() - timedelta(minutes=11))
    response = client.get("/console/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/admin/login/")
    assert b"signed out after a period without activity" in response.content


def test_a_session_ends_at_the_absolute_limit_even_when_active(councils):
    sign_in_rules(councils.alpha, absolute_hours=2, two_factor_for_admins=False)
    operator(councils.alpha, "sam")
    client = signed_in(councils.alpha, "sam")
    age_session(councils.alpha, client, created_at=timezone.now() - timedelta(hours=2, seconds=1))
    response = client.get("/console/", follow=True)
    assert b"reached its time limit" in response.content


def test_the_defaults_apply_to_a_council_without_settings(councils):
    operator(councils.beta, "sam")
    client = signed_in(councils.beta, "sam")
    age_session(councils.beta, client, last_seen_at=timezone.now() - timedelta(minutes=29))
    assert client.get("/console/").status_code == 200
    age_session(councils.beta, client, last_seen_at=timezone.now() - timedelta(minutes=31))
    assert client.get("/console/").status_code == 302


def test_sign_out_everywhere_ends_every_session_of_that_person_only(councils):
    operator(councils.alpha, "sam")
    operator(councils.alpha, "kim")
    laptop, phone = signed_in(councils.alpha, "sam"), signed_in(councils.alpha, "sam")
    colleague = signed_in(councils.alpha, "kim")
    response = phone.post("/admin/sign-out-everywhere/", follow=True)
    assert b"signed out on every device" in response.content
    assert laptop.get("/console/").status_code == 302
    assert colleague.get("/console/").status_code == 200


def test_an_admin_signs_someone_out_everywhere_from_the_user_list(councils):
    sam = operator(councils.alpha, "sam")
    council_admin(councils.alpha, "chief")
    lost_laptop = signed_in(councils.alpha, "sam")
    admin = signed_in(councils.alpha, "chief")
    response = admin.post(
        "/admin/auth/user/",
        {"action": "sign_out_selected_everywhere", "_selected_action": [sam.id]},
    )
    assert response.status_code == 302
    assert lost_laptop.get("/console/").status_code == 302
    assert admin.get("/admin/").status_code == 200


@sync_to_async
def disable(council, user_id: int) -> None:
    with schema_context(council.schema_name):
        user = get_user_model().objects.get(pk=user_id)
        user.is_active = False
        user.save()


@sync_to_async
def chat_status(council, chat_id) -> tuple[str, int | None]:
    with schema_context(council.schema_name):
        row = Conversation.objects.get(pk=chat_id)
        return row.status, row.operator_id


async def closed_with(console, timeout: float = 5) -> tuple[list[dict], dict]:
    """Frames until the server closes the socket, and the close itself."""
    frames = []
    while True:
        output = await console.receive_output(timeout=timeout)
        if output["type"] == "websocket.close":
            return frames, output
        frames.append(json.loads(output["text"]))


async def test_disabling_an_account_closes_their_console_and_requeues_their_chats(councils):
    alpha = councils.alpha
    sam = await sync_to_async(operator_in)(alpha, "leaver", is_active=True)
    chat = await sync_to_async(accepted_chat_in)(alpha, sam)
    console = operator_socket(alpha, await login_session(alpha, "leaver"))
    assert (await open_socket(console))["type"] == "hello"
    await disable(alpha, sam.id)
    frames, close = await closed_with(console)
    assert close["code"] == 4401
    assert {"type": "signed_out", "reason": "account_disabled"} in frames
    status, operator_id = await chat_status(alpha, chat.id)
    assert (status, operator_id) == ("queued", None)
    await console.disconnect()


async def test_signing_out_closes_that_sessions_console_only(councils):
    alpha = councils.alpha
    await sync_to_async(operator_in)(alpha, "sam")
    here = await login_session(alpha, "sam")
    elsewhere = await login_session(alpha, "sam")
    console, other = operator_socket(alpha, here), operator_socket(alpha, elsewhere)
    await open_socket(console)
    await open_socket(other)

    @sync_to_async
    def log_out() -> None:
        client = Client(HTTP_HOST=alpha.hosts[0])
        client.cookies["sessionid"] = here
        client.post("/admin/logout/")

    await log_out()
    frames, close = await closed_with(console)
    assert close["code"] == 4401 and frames[-1]["type"] == "signed_out"
    while not await other.receive_nothing(timeout=0.5):  # presence news, never a sign-out
        output = await other.receive_output()
        assert output["type"] == "websocket.send" and "signed_out" not in output["text"]
    await console.disconnect()
    await other.disconnect()


async def sams_console(council, **rules):
    """Sam signed in under the council's session `rules`, with the console open."""
    await sync_to_async(sign_in_rules)(council, **rules)
    await sync_to_async(operator_in)(council, "sam")
    session = await login_session(council, "sam")
    console = operator_socket(council, session)
    await open_socket(console)
    return session, console


@sync_to_async
def set_session(council, session_key: str, **fields) -> None:
    """Move a StaffSession's clocks (as if time had passed)."""
    with schema_context(council.schema_name):
        StaffSession.objects.filter(session_key=session_key).update(**fields)


@override_settings(OPERATOR_HEARTBEAT_SECONDS=0.2)
async def test_the_consoles_own_polling_does_not_keep_an_idle_session_alive(councils):
    alpha = councils.alpha
    session, console = await sams_console(alpha, idle_minutes=5)

    await set_session(alpha, session, last_seen_at=timezone.now() - timedelta(minutes=4))
    await console.send_json_to({"type": "followups"})  # the console's timer, not a person
    await next_of_type(console, "followups")
    while not await console.receive_nothing(timeout=0.7):  # heartbeats pass
        assert (await console.receive_output())["type"] == "websocket.send"

    @sync_to_async
    def seen() -> timedelta:
        with schema_context(alpha.schema_name):
            row = StaffSession.objects.get(session_key=session)
            return timezone.now() - row.last_seen_at

    assert await seen() >= timedelta(minutes=4)  # not touched: still idle for 4 minutes
    await console.disconnect()


@override_settings(OPERATOR_HEARTBEAT_SECONDS=0.2)
async def test_the_console_closes_when_its_session_passes_the_councils_limit(councils):
    alpha = councils.alpha
    session, console = await sams_console(alpha, absolute_hours=1)

    await set_session(alpha, session, created_at=timezone.now() - timedelta(hours=1, minutes=1))
    frames, close = await closed_with(console)
    assert close["code"] == 4401
    assert frames[-1] == {"type": "signed_out", "reason": "session_ended"}
    await console.disconnect()


@override_settings(OPERATOR_HEARTBEAT_SECONDS=0.2)
async def test_an_operator_busy_in_the_console_is_not_idle(councils):
    alpha = councils.alpha
    session, console = await sams_console(alpha, idle_minutes=5)

    await set_session(alpha, session, last_seen_at=timezone.now() - timedelta(minutes=4))
    await console.send_json_to({"type": "presence", "status": "online"})  # a person's frame
    await next_of_type(console, "presence")
    # Heartbeats pass (0.2 s each) and the session lives: nothing but ordinary frames.
    while not await console.receive_nothing(timeout=0.7):
        assert (await console.receive_output())["type"] == "websocket.send"

    @sync_to_async
    def seen() -> timedelta:
        with schema_context(alpha.schema_name):
            row = StaffSession.objects.get(session_key=session)
            return timezone.now() - row.last_seen_at

    assert await seen() < timedelta(minutes=1)
    await console.disconnect()


def test_presence_is_offline_after_sign_out_everywhere(councils):
    sam = operator(councils.alpha, "sam")
    with schema_context(councils.alpha.schema_name):
        OperatorPresence.objects.update_or_create(
            user_id=sam.id, defaults={"status": "online", "last_seen": timezone.now()}
        )
    client = signed_in(councils.alpha, "sam")
    client.post("/admin/sign-out-everywhere/")
    with schema_context(councils.alpha.schema_name):
        assert OperatorPresence.objects.get(user_id=sam.id).status == "offline"


async def test_a_console_cannot_open_with_a_session_past_its_limit(councils):
    alpha = councils.alpha
    await sync_to_async(operator_in)(alpha, "sam")
    session = await login_session(alpha, "sam")

    @sync_to_async
    def idle() -> None:
        with schema_context(alpha.schema_name):
            StaffSession.objects.filter(session_key=session).update(
                last_seen_at=timezone.now() - timedelta(hours=1)
            )

    await idle()
    await expect_refused(operator_socket(alpha, session), 4401, "login_required")
