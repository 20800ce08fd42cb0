"""Times shown by Django (the admin, emails, templates) follow the UK 24-hour clock in both
languages (issue 15); Django's own en_GB and cy formats say "2:30 p.m." and "2:30 y.b."."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.utils import formats, timezone, translation


@pytest.mark.parametrize("language", ["en-gb", "cy"])
def test_times_and_date_times_are_on_the_24_hour_clock(language):
    moment = timezone.localtime(datetime(2026, 7, 1, 13, 30, tzinfo=UTC))  # 14:30 in London
    with translation.override(language):
        assert formats.date_format(moment, "TIME_FORMAT") == "14:30"
        assert formats.date_format(moment, "DATETIME_FORMAT").endswith(", 14:30")
        assert formats.date_format(moment, "SHORT_DATETIME_FORMAT") == "01/07/2026 14:30"
        assert "p.m." not in formats.localize(moment)
