"""Staff pages look like the council's own (issue 15): its name and colours on a council's
host, plain CouncilChat on the public host, with two councils told apart."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context

from tests.admin.factories import council_admin
from tests.factories import PASSWORD
from widgets.models import WidgetSettings

pytestmark = pytest.mark.usefixtures("committed")


def brand(council, colour: str) -> None:
    with schema_context(council.schema_name):
        settings = WidgetSettings.current()
        settings.brand_colour, settings.text_colour = colour, "#ffffff"
        settings.save()
    connection.set_schema_to_public()


def test_each_councils_login_page_carries_its_own_name_and_colour(councils):
    brand(councils.alpha, "#00594f")
    brand(councils.beta, "#6b2c91")
    alpha = Client(HTTP_HOST="alpha.localhost").get("/admin/login/").content.decode()
    beta = Client(HTTP_HOST="beta.localhost").get("/admin/login/").content.decode()
    assert "Sign in to Alpha Council" in alpha and "#00594f" in alpha and "#6b2c91" not in alpha
    assert "Sign in to Beta Council" in beta and "#6b2c91" in beta


def test_signing_out_shows_the_councils_own_page(councils):
    brand(councils.alpha, "#00594f")
    council_admin(councils.alpha, "chris")
    client = Client(HTTP_HOST="alpha.localhost")
    client.post("/admin/login/", {"username": "chris", "password": PASSWORD})
    page = client.post("/admin/logout/").content.decode()
    assert "You have signed out of Alpha Council" in page and "#00594f" in page


def test_a_council_admins_admin_links_to_the_console_and_the_supervisor_view(councils):
    council_admin(councils.alpha, "chris")
    client = Client(HTTP_HOST="alpha.localhost")
    client.post("/admin/login/", {"username": "chris", "password": PASSWORD})
    page = client.get("/admin/").content.decode()
    assert 'href="/console/"' in page and 'href="/console/supervisor/"' in page
    assert "Alpha Council" in page
