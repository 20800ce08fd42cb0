"""OperatorPresence.objects.available(): the one definition of who can be given a chat now."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from django_tenants.utils import schema_context

from chat.queue import queue_state
from routing.availability import queue_refusal
from routing.models import OperatorPresence
from tests.conftest import put_online
from tests.factories import chat_in

pytestmark = pytest.mark.usefixtures("manual_assignment")


def test_only_online_recently_seen_active_staff_are_available_everywhere(councils):
    alpha = councils.alpha
    fresh = put_online(alpha, "avail-fresh")
    stale = put_online(alpha, "avail-stale", last_seen=timezone.now() - timedelta(hours=1))
    away = put_online(alpha, "avail-away", status="away")
    gone = put_online(alpha, "avail-gone")
    demoted = put_online(alpha, "avail-demoted")
    put_online(councils.beta, "elsewhere")  # another council's operator never counts here
    chat_in(alpha)
    with schema_context(alpha.schema_name):
        user_model = get_user_model()
        user_model.objects.filter(id=gone).update(is_active=False)
        user_model.objects.filter(id=demoted).update(is_staff=False)
        ids = set(OperatorPresence.objects.available().values_list("user_id", flat=True))
        assert fresh in ids and not ids & {stale, away, gone, demoted}
        # The visitor's estimate counts the same operators (it once counted inactive ones).
        assert queue_state().free_operators == len(ids)
        OperatorPresence.objects.filter(user_id=fresh).update(status="offline")
        others = OperatorPresence.objects.available().exclude(user_id=fresh)
        others.update(status="offline")
        refusal = queue_refusal(None)
    assert refusal is not None and refusal.reason == "no_operator_online"
