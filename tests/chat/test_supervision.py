"""The supervisor's reads (chat/supervision.py) and reassignment (chat.actions.transfers),
at the service layer, with two councils (issue 15)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.utils import timezone
from django_tenants.utils import schema_context

from chat import supervision
from chat.actions.lifecycle import conversation_accept
from chat.actions.transfers import reassign_by_supervisor
from chat.errors import ChatError
from chat.models import Conversation, Message
from councils.onboarding import COUNCIL_ADMINS
from tests.conftest import put_online
from tests.factories import accepted_chat_in, chat_in, operator_in

pytestmark = pytest.mark.usefixtures("manual_assignment")


def test_the_overview_shows_each_operators_status_chats_and_capacity_and_the_queue(councils):
    alpha = councils.alpha
    put_online(alpha, "alex")
    alex = operator_in(alpha, "alex", first_name="Alex", last_name="Morgan")
    put_online(alpha, "sam")
    held = accepted_chat_in(alpha, alex, name="Jo Bloggs", department="parking")
    waiting = chat_in(alpha, name="Kim Lee")
    chat_in(councils.beta, name="Beta resident")  # another council's queue: not here
    with schema_context(alpha.schema_name):
        Conversation.objects.filter(id=waiting.id).update(
            queued_at=timezone.now() - timedelta(seconds=75)
        )
        view = supervision.supervisor_overview()
    rows = {row["full_name"]: row for row in view["operators"]}
    assert rows["Alex Morgan"]["name"] == "Alex"  # what residents see
    assert (rows["Alex Morgan"]["status"], rows["Alex Morgan"]["active"]) == ("online", 1)
    assert [c["id"] for c in rows["Alex Morgan"]["chats"]] == [str(held.id)]
    assert rows["Alex Morgan"]["chats"][0]["visitor_name"] == "Jo Bloggs"
    assert rows["Sam"]["chats"] == []
    assert [(q["visitor_name"], q["position"]) for q in view["queue"]] == [("Kim Lee", 1)]
    assert 75 <= view["queue"][0]["waiting_s"] < 120
    departments = {d["name"]: (d["queued"], d["active"]) for d in view["departments"]}
    assert departments["Parking"] == (0, 1)
    assert departments["No department"] == (1, 0)


def test_today_counts_chats_answered_since_midnight_and_chats_missed_today(councils):
    alpha = councils.alpha
    alex = operator_in(alpha, "alex")
    put_online(alpha, "alex")
    accepted_chat_in(alpha, alex)
    yesterday = accepted_chat_in(alpha, alex)
    missed = chat_in(alpha)
    with schema_context(alpha.schema_name):
        before = supervision.start_of_today() - timedelta(minutes=1)
        Conversation.objects.filter(id=yesterday.id).update(accepted_at=before)
        Conversation.objects.filter(id=missed.id).update(status="missed", ended_at=timezone.now())
        assert supervision.today_counts() == {"answered": 1, "missed": 1}
    with schema_context(councils.beta.schema_name):
        assert supervision.today_counts() == {"answered": 0, "missed": 0}


def test_council_admins_and_staff_given_the_permission_may_supervise_and_operators_not(councils):
    alpha = councils.alpha
    plain = operator_in(alpha, "alex")
    admin = operator_in(alpha, "chris")
    given = operator_in(alpha, "dana")
    with schema_context(alpha.schema_name):
        Group.objects.get(name=COUNCIL_ADMINS).user_set.add(admin.id)
        get_user_model().objects.get(pk=given.id).user_permissions.add(
            Permission.objects.get(codename="supervise", content_type__app_label="routing")
        )
        assert not supervision.may_supervise_user_id(plain.id)
        assert supervision.may_supervise_user_id(admin.id)
        assert supervision.may_supervise_user_id(given.id)
    beta_chris = operator_in(councils.beta, "chris")  # the same name at another council
    with schema_context(councils.beta.schema_name):
        assert not supervision.may_supervise_user_id(beta_chris.id)


def test_a_watched_chat_comes_with_its_messages_and_an_ended_one_cannot_be_watched(councils):
    alpha = councils.alpha
    alex = operator_in(alpha, "alex", first_name="Alex")
    put_online(alpha, "alex")
    chat = accepted_chat_in(alpha, alex, message="Is the tip open?")
    with schema_context(alpha.schema_name):
        view = supervision.watch_view(chat.id)
        assert view["conversation"]["operator"] == "Alex"
        bodies = [m["body"] for m in view["messages"]]
        assert bodies == ["Is the tip open?", "Alex joined the chat."]
        assert "conversation" not in view["messages"][0]
        Conversation.objects.filter(id=chat.id).update(status="ended")
        assert supervision.watch_view(chat.id) is None
    with schema_context(councils.beta.schema_name):
        assert supervision.watch_view(chat.id) is None


def test_reassigning_moves_an_active_chat_to_an_online_operator_with_room_and_tells_the_resident(
    councils,
):
    alpha = councils.alpha
    alex = operator_in(alpha, "alex", first_name="Alex")
    sam = operator_in(alpha, "sam", first_name="Sam", last_name="Patel")
    boss = operator_in(alpha, "chris")
    put_online(alpha, "alex")
    put_online(alpha, "sam")
    chat = accepted_chat_in(alpha, alex)
    with schema_context(alpha.schema_name):
        summary = reassign_by_supervisor(
            council=alpha, conversation_id=chat.id, supervisor=boss, to_user_id=sam.id
        )
        stored = Conversation.objects.get(id=chat.id)
        last = Message.objects.filter(conversation_id=chat.id).order_by("-seq").first()
    assert (stored.status, stored.operator_id) == ("active", sam.id)
    assert summary["operator"] == "Sam"
    assert (last.author, last.body) == ("system", "You are now talking to Sam.")


def test_reassigning_is_refused_to_an_operator_away_or_full_and_for_an_ended_chat(councils):
    alpha = councils.alpha
    alex = operator_in(alpha, "alex")
    sam = operator_in(alpha, "sam")
    boss = operator_in(alpha, "chris")
    put_online(alpha, "alex")
    put_online(alpha, "sam", status="away")
    chat = accepted_chat_in(alpha, alex)
    with schema_context(alpha.schema_name):
        with pytest.raises(ChatError) as away:
            reassign_by_supervisor(
                council=alpha, conversation_id=chat.id, supervisor=boss, to_user_id=sam.id
            )
        assert away.value.code == "not_available"
        with pytest.raises(ChatError) as same:
            reassign_by_supervisor(
                council=alpha, conversation_id=chat.id, supervisor=boss, to_user_id=alex.id
            )
        assert same.value.code == "not_available"
        Conversation.objects.filter(id=chat.id).update(status="ended")
        with pytest.raises(ChatError) as ended:
            reassign_by_supervisor(
                council=alpha, conversation_id=chat.id, supervisor=boss, to_user_id=sam.id
            )
        assert ended.value.code == "not_active"
        assert Conversation.objects.get(id=chat.id).operator_id == alex.id
    with schema_context(councils.beta.schema_name), pytest.raises(ChatError) as elsewhere:
        reassign_by_supervisor(
            council=councils.beta, conversation_id=chat.id, supervisor=boss, to_user_id=sam.id
        )
    assert elsewhere.value.code == "not_found"


def test_a_waiting_chat_can_be_given_to_an_operator_by_the_supervisor(councils):
    alpha = councils.alpha
    sam = operator_in(alpha, "sam", first_name="Sam")
    boss = operator_in(alpha, "chris")
    put_online(alpha, "sam")
    chat = chat_in(alpha)
    with schema_context(alpha.schema_name):
        reassign_by_supervisor(
            council=alpha, conversation_id=chat.id, supervisor=boss, to_user_id=sam.id
        )
        stored = Conversation.objects.get(id=chat.id)
        assert (stored.status, stored.operator_id) == ("active", sam.id)
        with pytest.raises(ChatError):
            conversation_accept(council=alpha, conversation_id=chat.id, operator=boss)


def test_councils_onboarded_before_the_supervisor_view_give_it_to_their_admins_on_migrating(
    councils,
):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("routing.migrations.0005_operator_display_name_supervise")
    admin = operator_in(councils.alpha, "chris")
    with schema_context(councils.alpha.schema_name):
        admins = Group.objects.get(name=COUNCIL_ADMINS)
        admins.user_set.add(admin.id)
        supervise = Permission.objects.get(codename="supervise", content_type__app_label="routing")
        admins.permissions.remove(supervise)
        assert not supervision.may_supervise_user_id(admin.id)
        migration.council_admins_may_supervise(apps, None)
        assert supervision.may_supervise_user_id(admin.id)
