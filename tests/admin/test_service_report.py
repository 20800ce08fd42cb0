"""The council admin's service report: waiting times by language, ratings and outcomes."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from chat.models import Conversation
from tests.admin.factories import admin_client, council_admin, operator
from tests.factories import chat_in

pytestmark = pytest.mark.usefixtures("committed")


def chat_with(council, **fields):
    chat = chat_in(council)
    with schema_context(council.schema_name):
        Conversation.objects.filter(id=chat.id).update(**fields)
    return chat


def test_given_rated_chats_in_two_languages_then_the_admin_sees_their_own_councils_figures(
    councils,
):
    chat_with(councils.alpha, language="cy", rating=5, outcome="resolved")
    chat_with(councils.alpha, language="en", rating=2, outcome="follow_up")
    chat_with(councils.alpha, language="en", rating=5, outcome="resolved")
    chat_with(councils.gamma, language="en", rating=1, outcome="other")  # not alpha's
    council_admin(councils.alpha)

    response = admin_client(councils.alpha, "chief").get("/admin/report/")

    assert response.status_code == 200
    report = response.context["report"]
    assert report.chats == 3
    assert report.ratings == {1: 0, 2: 1, 3: 0, 4: 0, 5: 2}
    assert report.average_rating == 4.0
    assert report.outcomes == [("Resolved", 2), ("Needs a follow-up", 1)]
    assert report.by_language["cy"]["chats"] == 1 and report.by_language["en"]["chats"] == 2
    page = response.content.decode()
    assert "Average rating <strong>4.0</strong> out of 5, from 3 rated chats" in page
    assert "Welsh" in page and "Needs a follow-up" in page


def test_given_a_period_then_older_chats_are_left_out_and_a_bad_period_falls_back(councils):
    from datetime import timedelta

    from django.utils import timezone

    chat_with(councils.alpha, created_at=timezone.now() - timedelta(days=45))
    chat_with(councils.alpha)
    council_admin(councils.alpha)
    client = admin_client(councils.alpha, "chief")

    assert client.get("/admin/report/", {"days": 30}).context["report"].chats == 1
    assert client.get("/admin/report/", {"days": 90}).context["report"].chats == 2
    assert client.get("/admin/report/", {"days": "lots"}).context["days"] == 30


def test_the_report_is_for_council_admins_and_is_listed_only_for_them(councils):
    council_admin(councils.alpha)
    operator(councils.alpha)
    chief = admin_client(councils.alpha, "chief")
    sam = admin_client(councils.alpha, "sam")

    assert "Service report" in chief.get("/admin/").content.decode()
    assert "Service report" not in sam.get("/admin/").content.decode()
    assert sam.get("/admin/report/").status_code == 403
