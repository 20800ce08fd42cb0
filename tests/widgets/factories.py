"""Widget test data: opening hours, closures, pre-chat questions and settings, per council."""

from __future__ import annotations

from datetime import date, time

from django_tenants.utils import schema_context

from councils.sites import CouncilRef
from routing.models import Closure, Department, OpeningHours
from widgets.models import OfflineLink, PrechatField, WidgetSettings


def hours_in(council: CouncilRef, department: str, *spans: tuple[int, str, str]) -> None:
    """spans: (weekday, "HH:MM" opens, "HH:MM" closes)."""
    with schema_context(council.schema_name):
        dept = Department.objects.get(slug=department)
        for weekday, opens, closes in spans:
            OpeningHours.objects.create(
                department=dept,
                weekday=weekday,
                opens=time.fromisoformat(opens),
                closes=time.fromisoformat(closes),
            )


def closure_in(council: CouncilRef, day: date, department: str | None = None) -> None:
    with schema_context(council.schema_name):
        dept = Department.objects.get(slug=department) if department else None
        Closure.objects.create(date=day, department=dept, reason="Training")


def widget_settings_in(council: CouncilRef, **values) -> None:
    with schema_context(council.schema_name):
        WidgetSettings.objects.update_or_create(pk=1, defaults=values)


def prechat_field_in(council: CouncilRef, key: str, kind: str = "text", **values) -> None:
    with schema_context(council.schema_name):
        PrechatField.objects.create(key=key, kind=kind, label=values.pop("label", key), **values)


def offline_link_in(council: CouncilRef, title: str, url: str, **values) -> None:
    with schema_context(council.schema_name):
        OfflineLink.objects.create(title=title, url=url, **values)
