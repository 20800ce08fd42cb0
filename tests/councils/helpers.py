"""Steps shared by the onboarding tests: follow an emailed link, chat with a new council."""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

from django.core import mail
from django.test import Client
from django_tenants.utils import schema_context

from chat.actions.lifecycle import conversation_accept
from chat.actions.messages import message_create
from chat.models import Conversation, Message
from chat.operators import OperatorRef
from councils.models import Council
from councils.sites import council_ref
from tests.conftest import put_online

NEW_PASSWORD = "a-long-new-passphrase-42"


def set_password_link(to: str) -> str:
    """The link in the last set-password email sent to `to`."""
    sent = [m for m in mail.outbox if to in m.to]
    assert sent, f"no email to {to}: {[m.to for m in mail.outbox]}"
    return re.search(r"https?://\S+", sent[-1].body).group(0)


def choose_password(link: str, password: str = NEW_PASSWORD) -> Client:
    """Follow the emailed link on the council's host, choose a password, then log in."""
    parts = urlsplit(link)
    client = Client(HTTP_HOST=parts.hostname)
    form = client.get(parts.path, follow=True)
    assert form.status_code == 200
    assert b"new_password1" in form.content, form.content[:2000]
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": password, "new_password2": password},
        follow=True,
    )
    assert done.status_code == 200
    assert b"Password set" in done.content
    return client


def log_in(host: str, username: str, password: str) -> Client:
    client = Client(HTTP_HOST=host)
    response = client.post("/admin/login/", {"username": username, "password": password})
    assert response.status_code == 302, response.content[:1000]
    return client


def chat_is_answered(slug: str) -> None:
    """A resident starts a chat through the widget on the council's host; an operator answers."""
    row = Council.objects.get(slug=slug)
    council = council_ref(row)
    host = row.domains.get(is_primary=True).domain
    operator_id = put_online(council, "duty")
    response = Client(HTTP_HOST=host).post(
        "/widget/conversations",
        json.dumps({"name": "Jo Resident", "message": "Is my bin day changing?"}),
        "application/json",
    )
    assert response.status_code == 201, response.content
    conversation_id = response.json()["conversation"]
    operator = OperatorRef(id=operator_id, username="duty", name="Duty")
    with schema_context(council.schema_name):
        conversation = Conversation.objects.get(id=conversation_id)
        if conversation.operator_id is None:
            conversation_accept(council=council, conversation_id=conversation.id, operator=operator)
        message_create(
            council=council,
            conversation_id=conversation.id,
            body="Hello Jo, let me check.",
            client_id="reply-1",
            operator=operator,
        )
        bodies = list(
            Message.objects.filter(conversation_id=conversation_id)
            .order_by("seq")
            .values_list("author", "body")
        )
    assert ("visitor", "Is my bin day changing?") in bodies
    assert bodies[-1] == ("operator", "Hello Jo, let me check.")
