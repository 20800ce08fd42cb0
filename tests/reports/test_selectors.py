"""Report figures equal the answers worked out by hand for tests/reports/dataset.py."""

from __future__ import annotations

from datetime import date

import pytest
from django_tenants.utils import schema_context

from chat.models import Conversation, Tag
from reports.selectors import Period, council_report, partnership_report
from tests.reports import dataset

pytestmark = pytest.mark.usefixtures("committed")

WEEK = Period(date(2026, 3, 2), date(2026, 3, 8))


@pytest.fixture
def report(councils):
    dataset.build(councils.alpha)
    with schema_context(councils.alpha.schema_name):
        return council_report(WEEK)


def by_label(rows):
    return {row["label"]: row for row in rows}


def test_the_summary_counts_every_kind_of_chat_once(report):
    s = report.summary
    keys = ("chats", "offered", "answered", "missed", "left_in_queue", "waiting")
    assert tuple(s[k] for k in keys) == (11, 9, 6, 1, 1, 1)
    assert s["chats"] - s["offered"] == 2  # the assistant's
    assert s["enquiries"] == 2 and s["transferred_out"] == 1


def test_waits_first_responses_and_handle_times_are_exact_percentiles(report):
    s = report.summary
    assert (s["wait_p50"], s["wait_p90"]) == (52.5, 105.0)
    assert (s["first_response_p50"], s["first_response_p90"]) == (60.0, 125.0)
    assert (s["handle_mean"], s["handle_p50"]) == (810.0, 750.0)


def test_satisfaction_counts_rated_chats_only(report):
    s = report.summary
    assert (s["rated"], s["rating_mean"], s["rated_4_or_5"], s["share_4_or_5"]) == (5, 3.8, 3, 0.6)
    assert [(r["label"], r["chats"]) for r in report.ratings] == [
        ("5 out of 5", 2), ("4 out of 5", 1), ("3 out of 5", 1), ("2 out of 5", 1),
        ("1 out of 5", 0),
    ]  # fmt: skip


def test_outcomes_of_ended_chats_including_those_not_recorded(report):
    assert [(r["label"], r["chats"]) for r in report.outcomes] == [
        ("Resolved", 4), ("Not recorded", 1), ("Needs a follow-up", 1),
        ("Referred to another team", 1),
    ]  # fmt: skip


def test_by_language_shows_welsh_beside_english(report):
    rows = by_label(report.by_language)
    assert (rows["Welsh"]["chats"], rows["Welsh"]["offered"], rows["Welsh"]["answered"]) == (
        4,
        3,
        2,
    )
    assert (rows["Welsh"]["left_in_queue"], rows["Welsh"]["wait_p50"]) == (1, 105.0)
    assert (rows["English"]["offered"], rows["English"]["answered"]) == (6, 4)
    assert (rows["English"]["missed"], rows["English"]["wait_p50"]) == (1, 37.5)


def test_by_channel_puts_the_assistants_chats_apart(report):
    rows = by_label(report.by_channel)
    assert [(r["label"], r["chats"], r["offered"]) for r in report.by_channel] == [
        ("Web chat", 7, 7), ("Facebook Messenger", 1, 1), ("WhatsApp", 1, 1), ("Assistant", 2, 0),
    ]  # fmt: skip
    assert rows["WhatsApp"]["handle_mean"] == 1800.0  # across midnight


def test_by_department_and_operator_with_busy_hours_and_concurrency(report):
    departments = by_label(report.by_department)
    assert departments["Parking"]["offered"] == 7 and departments["Highways"]["offered"] == 2
    assert departments["No department"]["chats"] == 2
    operators = by_label(report.by_operator)
    alex, sam = operators["Alex"], operators["Sam"]
    assert (alex["answered"], alex["busy_seconds"], alex["open_seconds"]) == (3, 720.0, 960.0)
    assert alex["chats_per_busy_hour"] == pytest.approx(15.0)
    assert alex["concurrency"] == pytest.approx(960 / 720)
    # Sam took the transferred chat 255 s after Alex answered it: its 900 s handle time is
    # the resident's, and Sam's load counts the 645 s Sam had it.
    assert (sam["answered"], sam["busy_seconds"], sam["open_seconds"]) == (3, 3645.0, 3645.0)
    assert (sam["chats_per_busy_hour"], sam["concurrency"]) == (
        pytest.approx(3 / (3645 / 3600)), pytest.approx(1.0),
    )  # fmt: skip
    assert report.summary["chats_per_busy_hour"] == pytest.approx(6 / (4365 / 3600))
    assert report.summary["concurrency"] == pytest.approx(4605 / 4365)


def test_by_hour_and_weekday_in_uk_time(report):
    hours = {r["key"]: r["chats"] for r in report.by_hour}
    assert len(hours) == 24
    assert {h: n for h, n in hours.items() if n} == {
        0: 1, 9: 2, 10: 1, 11: 1, 12: 1, 13: 1, 14: 1, 15: 1, 16: 1, 23: 1,
    }  # fmt: skip
    assert [r["chats"] for r in report.by_weekday] == [2, 2, 2, 2, 1, 1, 1]


def test_retention_and_erasure_do_not_change_the_report(councils, report):
    from datetime import UTC, datetime

    from privacy.retention import apply_retention

    with schema_context(councils.alpha.schema_name):
        apply_retention(as_of=datetime(2030, 1, 1, tzinfo=UTC))
        after = council_report(WEEK)
    assert after.summary == report.summary
    assert after.by_operator == report.by_operator and after.by_channel == report.by_channel


def test_the_partnership_report_aggregates_member_councils_only(councils):
    from datetime import timedelta

    dataset.build(councils.alpha)
    for council, wait in ((councils.beta, 20), (councils.gamma, 1)):
        with schema_context(council.schema_name):
            from chat.models import Conversation, Visitor

            created = dataset.T(4, 9, 0)
            Conversation.objects.create(
                visitor=Visitor.objects.create(name="B"), status="ended", created_at=created,
                queued_at=created, accepted_at=created + timedelta(seconds=wait),
                answered_at=created + timedelta(seconds=wait), answered_queued_at=created,
                ended_at=created + timedelta(seconds=100),
            )  # fmt: skip
    members = [
        ("Alpha Council", councils.alpha.schema_name),
        ("Beta Council", councils.beta.schema_name),
    ]
    per_council, total = partnership_report(WEEK, members)
    assert [(r["label"], r["offered"], r["answered"]) for r in per_council] == [
        ("Alpha Council", 9, 6), ("Beta Council", 1, 1),
    ]  # fmt: skip
    assert (total["offered"], total["answered"], total["wait_p50"]) == (10, 7, 45.0)


def test_chats_are_counted_under_each_of_their_tags_in_the_councils_order(councils):
    dataset.build(councils.alpha)
    with schema_context(councils.alpha.schema_name):
        in_week = list(
            Conversation.objects.filter(
                created_at__gte=WEEK.start, created_at__lt=WEEK.end
            ).order_by("created_at")
        )
        complaint = Tag.objects.create(name="Complaint", slug="complaint", position=2)
        badge = Tag.objects.create(name="Blue badge", slug="blue-badge", position=1)
        Tag.objects.create(name="Unused", slug="unused", position=3)
        complaint.conversations.add(*in_week[:3])
        badge.conversations.add(in_week[0])
        report = council_report(WEEK)
    assert [(r["label"], r["chats"]) for r in report.tags] == [("Blue badge", 1), ("Complaint", 3)]


def test_chats_ended_by_the_resident_or_the_system_count_under_their_own_outcome(councils):
    from django.utils import timezone

    from chat.actions.lifecycle import conversation_end
    from reports.selectors import Period
    from tests.factories import chat_in

    alpha = councils.alpha
    left, fled, idle = chat_in(alpha), chat_in(alpha), chat_in(alpha)
    with schema_context(alpha.schema_name):
        conversation_end(council=alpha, conversation_id=left.id)
        conversation_end(council=alpha, conversation_id=fled.id, quick_exit=True)
        conversation_end(council=alpha, conversation_id=idle.id, idle=True)
        today = timezone.localdate()
        report = council_report(Period(today, today))
    assert sorted((r["label"], r["chats"]) for r in report.outcomes) == [
        ("Closed after no messages", 1), ("Ended by the resident", 1),
        ("Resident used quick exit", 1),
    ]  # fmt: skip


def test_a_chat_transferred_through_the_real_services_keeps_the_residents_wait_and_first_reply(
    councils, manual_assignment
):
    """Alex answers and replies, hands the chat to Sam, Sam passes it to Highways, Sam takes
    it again from the queue and ends it: the report's wait, first response and handle time
    are the resident's (first answer, first reply), and the chat counts for Sam."""
    from django.utils import timezone

    from chat.actions.lifecycle import conversation_accept, conversation_end
    from chat.actions.messages import message_create
    from chat.actions.transfers import transfer_to_department, transfer_to_operator
    from tests.conftest import put_online
    from tests.factories import chat_in, operator_in

    alpha = councils.alpha
    put_online(alpha, "alex", max_chats=3)
    put_online(alpha, "sam", max_chats=3)
    alex, sam = operator_in(alpha, "alex"), operator_in(alpha, "sam")
    chat = chat_in(alpha)
    with schema_context(alpha.schema_name):
        conversation_accept(council=alpha, conversation_id=chat.id, operator=alex)
        message_create(
            council=alpha, conversation_id=chat.id, body="Hi", client_id="a", operator=alex
        )
        first = Conversation.objects.get(id=chat.id)
        transfer_to_operator(
            council=alpha, conversation_id=chat.id, operator=alex, to_user_id=sam.id
        )
        message_create(
            council=alpha, conversation_id=chat.id, body="Sam", client_id="s", operator=sam
        )
        transfer_to_department(
            council=alpha, conversation_id=chat.id, operator=sam, department_slug="highways"
        )
        conversation_accept(council=alpha, conversation_id=chat.id, operator=sam)
        conversation_end(council=alpha, conversation_id=chat.id, operator=sam, outcome="resolved")
        ended = Conversation.objects.get(id=chat.id)
        today = timezone.localdate()
        report = council_report(Period(today, today))

    # The first answer and reply stay; the current operator's times moved with each hand-over.
    assert (ended.answered_at, ended.first_reply_at) == (first.accepted_at, first.first_response_at)
    assert ended.accepted_at > first.accepted_at and ended.queued_at > first.queued_at
    s = report.summary
    assert (s["offered"], s["answered"], s["left_in_queue"]) == (1, 1, 0)
    assert s["wait_p50"] == (first.accepted_at - first.queued_at).total_seconds()
    assert s["first_response_p50"] == (first.first_response_at - first.created_at).total_seconds()
    assert s["handle_p50"] == (ended.ended_at - first.accepted_at).total_seconds()
    operators = by_label(report.by_operator)
    assert operators["Sam"]["answered"] == 1 and "Alex" not in operators
    assert operators["Sam"]["open_seconds"] == (ended.ended_at - ended.accepted_at).total_seconds()
    assert by_label(report.by_department)["Highways"]["answered"] == 1
