"""Celery tasks run in the council they were sent from (a real worker over Redis)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from celery.contrib.testing.worker import start_worker
from django.utils import timezone
from django_tenants.utils import schema_context

from chat.models import Conversation, Message
from chat.tasks import end_idle_conversations_task
from config.celery import app
from tests.factories import chat_in
from tests.polling import poll_until

pytestmark = pytest.mark.usefixtures("committed")


def age_chat(council, conversation_id, hours: int) -> None:
    with schema_context(council.schema_name):
        Conversation.objects.filter(id=conversation_id).update(
            last_message_at=timezone.now() - timedelta(hours=hours)
        )


def status_of(council, conversation_id) -> str:
    with schema_context(council.schema_name):
        return Conversation.objects.get(id=conversation_id).status


def test_given_idle_chats_in_two_councils_when_one_council_sends_the_task_then_only_its_chat_ends(
    councils,
):
    alpha_chat = chat_in(councils.alpha)
    beta_chat = chat_in(councils.beta)
    fresh_alpha_chat = chat_in(councils.alpha)
    age_chat(councils.alpha, alpha_chat.id, hours=3)
    age_chat(councils.beta, beta_chat.id, hours=3)

    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        with schema_context(councils.alpha.schema_name):
            end_idle_conversations_task.delay(idle_seconds=3600)
        poll_until(
            lambda: status_of(councils.alpha, alpha_chat.id) == "ended",
            "the worker to end alpha's idle chat",
        )

    assert status_of(councils.beta, beta_chat.id) == "queued"
    assert status_of(councils.alpha, fresh_alpha_chat.id) == "queued"
    with schema_context(councils.alpha.schema_name):
        last = Message.objects.filter(conversation_id=alpha_chat.id).order_by("-seq").first()
        assert last.author == "system"
        assert "no messages" in last.body
