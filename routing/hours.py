"""When a department takes chats: its weekly opening hours, bank holidays and closure days.

Call inside the council's schema. A department with no opening hours takes chats at any time
(the council has not restricted it), and so does a chat with no department while any
department has no hours; council-wide and department closure days always close it,
and the council's nation's bank holidays close every department that has opening hours. A span
whose closing time is not after its opening time runs past midnight into the next day (22:00 to
02:00); 00:00 to 00:00 is the whole day. Times are the council's local time (TIME_ZONE).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache

import holidays
from django.db.models import Q
from django.utils import timezone

from routing.models import Closure, Department, OpeningHours, RoutingSettings

# How far ahead "when chat opens next" looks before giving up (closures can be long).
LOOKAHEAD_DAYS = 60


@dataclass(frozen=True)
class Span:
    weekday: int  # 0 Monday … 6 Sunday, the day the span opens
    opens: time
    closes: time

    @property
    def overnight(self) -> bool:
        return self.closes <= self.opens


@dataclass(frozen=True)
class Schedule:
    """Everything needed to answer "open at t?" without further queries."""

    spans: tuple[Span, ...]
    closed_dates: frozenset[date]
    bank_holidays: str  # UK subdivision code, or "" for none

    @property
    def restricted(self) -> bool:
        return bool(self.spans)

    def day_closed(self, day: date) -> bool:
        if day in self.closed_dates:
            return True
        if not (self.restricted and self.bank_holidays):
            return False
        return day in _holidays(self.bank_holidays, day.year)

    def pieces(self, day: date) -> list[tuple[datetime, datetime]]:
        """The open intervals that fall on `day` (local), after closures, sorted."""
        if self.day_closed(day):
            return []
        if not self.restricted:
            return [(_local(day, time.min), _local(day + timedelta(days=1), time.min))]
        start_of_day = _local(day, time.min)
        end_of_day = _local(day + timedelta(days=1), time.min)
        found = []
        for span in self.spans:
            if span.weekday == day.weekday():
                end = (
                    _local(day + timedelta(days=1), span.closes)
                    if span.overnight
                    else _local(day, span.closes)
                )
                found.append((_local(day, span.opens), min(end, end_of_day)))
            yesterday = day - timedelta(days=1)
            if span.overnight and span.weekday == yesterday.weekday() and span.closes != time.min:
                found.append((start_of_day, _local(day, span.closes)))
        return sorted(piece for piece in found if piece[0] < piece[1])

    def is_open(self, at: datetime) -> bool:
        local = timezone.localtime(at)
        return any(start <= local < end for start, end in self.pieces(local.date()))

    def next_open(self, after: datetime) -> datetime | None:
        """The first moment at or after `after` when chat is open; None within the lookahead."""
        local = timezone.localtime(after)
        for offset in range(LOOKAHEAD_DAYS + 1):
            for start, end in self.pieces(local.date() + timedelta(days=offset)):
                if end > local:
                    return max(start, local)
        return None


@lru_cache(maxsize=32)
def _holidays(subdivision: str, year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("GB", subdiv=subdivision, years=year)


def _local(day: date, at: time) -> datetime:
    return timezone.make_aware(datetime.combine(day, at))


def schedule_for(department: Department | None, *, today: date | None = None) -> Schedule:
    """The department's schedule. With no department (a chat any operator may take), the union
    of all departments' hours, or no restriction while some department has no hours."""
    hours = OpeningHours.objects.all()
    if department is not None:
        hours = hours.filter(department=department)
    elif Department.objects.filter(hours__isnull=True).exists():
        hours = hours.none()
    spans = tuple(Span(h.weekday, h.opens, h.closes) for h in hours)
    start = today or timezone.localdate()
    closures = Closure.objects.filter(
        date__gte=start - timedelta(days=1), date__lte=start + timedelta(days=LOOKAHEAD_DAYS + 1)
    )
    closures = closures.filter(
        Q(department__isnull=True) | Q(department=department)
        if department is not None
        else Q(department__isnull=True)
    )
    return Schedule(
        spans=spans,
        closed_dates=frozenset(closures.values_list("date", flat=True)),
        bank_holidays=RoutingSettings.current().bank_holidays,
    )


def weekly_hours(schedule: Schedule) -> list[dict]:
    """[{"weekday": 0, "opens": "09:00", "closes": "17:00"}, …] in week order."""
    return [
        {"weekday": s.weekday, "opens": f"{s.opens:%H:%M}", "closes": f"{s.closes:%H:%M}"}
        for s in sorted(schedule.spans, key=lambda s: (s.weekday, s.opens))
    ]
