"""Opening hours: several spans a day, spans past midnight, bank holidays, closure days, and
when chat opens next (routing/hours.py)."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from routing.availability import queue_refusal
from routing.hours import schedule_for
from routing.models import Department
from tests.conftest import put_online, set_routing
from tests.widgets.factories import closure_in, hours_in

pytestmark = pytest.mark.usefixtures("clean_hours")

# Monday 23 November 2026 is an ordinary working Monday; Monday 31 August 2026 is the
# summer bank holiday in England and Wales, not in Scotland.
MON, TUE, SAT, SUN = 0, 1, 5, 6


def at(day: str, clock: str) -> datetime:
    return timezone.make_aware(datetime.fromisoformat(f"{day}T{clock}"))


def schedule(council, department="parking", today="2026-11-23"):
    with schema_context(council.schema_name):
        dept = Department.objects.get(slug=department) if department else None
        return schedule_for(dept, today=date.fromisoformat(today))


def test_given_two_spans_on_a_day_then_open_inside_each_and_closed_between(councils):
    hours_in(councils.alpha, "parking", (MON, "09:00", "12:00"), (MON, "13:00", "17:00"))
    s = schedule(councils.alpha)
    assert s.is_open(at("2026-11-23", "09:00"))
    assert s.is_open(at("2026-11-23", "11:59"))
    assert not s.is_open(at("2026-11-23", "12:30"))
    assert s.is_open(at("2026-11-23", "16:59"))
    assert not s.is_open(at("2026-11-23", "17:00"))
    assert s.next_open(at("2026-11-23", "12:30")) == at("2026-11-23", "13:00")


def test_given_a_span_past_midnight_then_it_is_open_early_next_morning(councils):
    hours_in(councils.alpha, "parking", (SAT, "22:00", "02:00"))
    s = schedule(councils.alpha)
    assert s.is_open(at("2026-11-28", "23:30"))  # Saturday night
    assert s.is_open(at("2026-11-29", "01:59"))  # early Sunday
    assert not s.is_open(at("2026-11-29", "02:00"))
    assert not s.is_open(at("2026-11-28", "21:59"))
    assert s.next_open(at("2026-11-29", "03:00")) == at("2026-12-05", "22:00")


def test_given_a_bank_holiday_of_the_councils_nation_then_closed_all_day(councils):
    hours_in(councils.alpha, "parking", (MON, "09:00", "17:00"))
    set_routing(councils.alpha, bank_holidays="ENG")
    s = schedule(councils.alpha, today="2026-08-31")
    assert not s.is_open(at("2026-08-31", "10:00"))
    assert s.next_open(at("2026-08-31", "10:00")) == at("2026-09-07", "09:00")


def test_given_a_scottish_council_then_the_english_summer_holiday_is_a_working_day(councils):
    hours_in(councils.alpha, "parking", (MON, "09:00", "17:00"))
    set_routing(councils.alpha, bank_holidays="SCT")
    assert schedule(councils.alpha, today="2026-08-31").is_open(at("2026-08-31", "10:00"))


def test_given_a_council_closure_day_then_every_department_is_closed_and_opens_after(councils):
    hours_in(councils.alpha, "parking", (MON, "09:00", "17:00"), (TUE, "09:00", "17:00"))
    closure_in(councils.alpha, date(2026, 11, 23))
    s = schedule(councils.alpha)
    assert not s.is_open(at("2026-11-23", "10:00"))
    assert s.next_open(at("2026-11-23", "10:00")) == at("2026-11-24", "09:00")
    # A department with no hours is also closed on a council closure day.
    assert not schedule(councils.alpha, "highways").is_open(at("2026-11-23", "10:00"))


def test_a_department_closure_leaves_other_departments_open(councils):
    closure_in(councils.alpha, date(2026, 11, 23), department="parking")
    assert not schedule(councils.alpha, "parking").is_open(at("2026-11-23", "10:00"))
    assert schedule(councils.alpha, "highways").is_open(at("2026-11-23", "10:00"))


def test_given_no_hours_then_open_at_any_time_even_on_bank_holidays(councils):
    s = schedule(councils.alpha, today="2026-08-31")
    assert s.is_open(at("2026-08-31", "03:00"))


def test_hours_of_one_council_do_not_close_another(councils):
    hours_in(councils.alpha, "parking", (MON, "09:00", "17:00"))
    assert not schedule(councils.alpha).is_open(at("2026-11-23", "20:00"))
    assert schedule(councils.beta).is_open(at("2026-11-23", "20:00"))


def test_given_closed_hours_then_the_queue_refuses_with_closed_and_when_it_opens(councils):
    put_online(councils.alpha)
    hours_in(councils.alpha, "parking", (MON, "09:00", "17:00"))
    with schema_context(councils.alpha.schema_name):
        parking = Department.objects.get(slug="parking")
        refusal = queue_refusal(parking, at=at("2026-11-23", "18:00"))
        assert refusal.reason == "closed"
        assert refusal.next_open == at("2026-11-30", "09:00")
        assert queue_refusal(parking, at=at("2026-11-23", "10:00")) is None


def test_a_chat_with_no_department_follows_the_union_of_all_departments_hours(councils):
    hours_in(councils.alpha, "parking", (MON, "09:00", "12:00"))
    # Highways has no hours, so a chat for anyone may start at any time.
    assert schedule(councils.alpha, None).is_open(at("2026-11-23", "20:00"))
    hours_in(councils.alpha, "highways", (MON, "14:00", "17:00"))
    union = schedule(councils.alpha, None)
    assert union.is_open(at("2026-11-23", "10:00"))
    assert union.is_open(at("2026-11-23", "15:00"))
    assert not union.is_open(at("2026-11-23", "13:00"))
