"""The per-process cache in front of /widget/config and /widget/availability."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from routing.models import OperatorPresence
from tests.widgets.factories import widget_settings_in
from widgets.models import WidgetSettings
from widgets.selectors import clear_widget_config_cache


@pytest.fixture
def cached(settings, committed):
    """The cache on, and the test councils' greetings as they were afterwards."""
    settings.WIDGET_CONFIG_CACHE_SECONDS = 10
    clear_widget_config_cache()
    greetings = {}
    for council in (committed.alpha, committed.beta):
        with schema_context(council.schema_name):
            greetings[council] = WidgetSettings.current().greeting
    yield
    for council, greeting in greetings.items():
        widget_settings_in(council, greeting=greeting)
    clear_widget_config_cache()


def config(host: str, path: str = "/widget/config", **params) -> tuple[dict, int]:
    """The answer and how many SQL statements it cost."""
    with CaptureQueriesContext(connection) as queries:
        body = Client(HTTP_HOST=host).get(path, params).json()
    return body, len(queries)


def test_given_the_cache_on_when_a_page_asks_again_then_the_same_answer_costs_no_query(
    committed, cached
):
    first, cost = config("alpha.localhost", page_url="https://www.alpha.gov.uk/parking")
    again, cost_again = config("alpha.localhost", page_url="https://www.alpha.gov.uk/parking")
    assert again == first and cost > 0
    assert cost_again == 0
    # The minute's availability poll is answered from the same copy.
    polled, cost_polled = config(
        "alpha.localhost", "/widget/availability", page_url="https://www.alpha.gov.uk/parking"
    )
    assert polled["availability"] == first["availability"] and cost_polled == 0


def test_given_the_cache_on_then_each_council_host_gets_its_own_answer(committed, cached):
    widget_settings_in(committed.alpha, greeting="Hello from Alpha")
    widget_settings_in(committed.beta, greeting="Hello from Beta")
    assert config("alpha.localhost")[0]["council"]["greeting"] == "Hello from Alpha"
    assert config("beta.localhost")[0]["council"]["greeting"] == "Hello from Beta"
    assert config("alpha.localhost")[0]["council"]["slug"] == committed.alpha.slug


def test_given_a_cached_answer_when_the_council_saves_its_widget_settings_then_it_shows_at_once(
    committed, cached
):
    widget_settings_in(committed.alpha, greeting="Before")
    assert config("alpha.localhost")[0]["council"]["greeting"] == "Before"
    widget_settings_in(committed.alpha, greeting="After")  # a save, as the admin does
    body, cost = config("alpha.localhost")
    assert body["council"]["greeting"] == "After" and cost > 0


def test_given_a_cached_answer_when_an_operator_heartbeats_then_the_copy_is_kept(staffed, cached):
    config("alpha.localhost")
    with schema_context(staffed.alpha.schema_name):
        presence = OperatorPresence.objects.get()
        presence.save()  # a heartbeat: availability may lag by the cache's seconds
    assert config("alpha.localhost")[1] == 0


def test_given_the_cache_on_then_the_partnership_host_answer_is_kept_separately(committed, cached):
    shared, cost = config("wessex.localhost")
    assert shared["kind"] == "partnership" and cost > 0
    again, cost_again = config("wessex.localhost")
    assert again == shared and cost_again == 0
    assert config("alpha.localhost")[0]["kind"] == "council"
