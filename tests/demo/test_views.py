"""The demo's pages exist only with DEMO=1; without it the product's hosts serve no demo."""

from __future__ import annotations

import importlib

import pytest
from django.test import Client
from django.urls import clear_url_caches

pytestmark = pytest.mark.usefixtures("committed")


def test_demo_pages_embed_the_widget_with_their_department(councils):
    response = Client(HTTP_HOST="alpha.localhost").get("/parking/pay-a-parking-fine")
    assert response.status_code == 200
    assert b'/widget/embed.js" async data-department="parking"' in response.content
    assert Client(HTTP_HOST="alpha.localhost").get("/no/such/page").status_code == 404


def test_with_demo_every_kind_of_host_has_its_demo_index(councils):
    assert b"/widget/embed.js" in Client(HTTP_HOST="alpha.localhost").get("/").content
    partnership = Client(HTTP_HOST=councils.partnership_host).get("/")
    assert b"Alpha Council" in partnership.content and b"Beta Council" in partnership.content
    assert b"partnership managers" in Client(HTTP_HOST="localhost").get("/").content


@pytest.fixture
def without_demo(settings):
    """The URLconfs as a deployment without DEMO=1 builds them (they read DEMO on import)."""
    modules = [
        importlib.import_module(f"config.urls_{kind}")
        for kind in ("council", "partnership", "public")
    ]
    settings.DEMO = False
    for module in modules:
        importlib.reload(module)
    clear_url_caches()
    yield
    settings.DEMO = True
    for module in modules:
        importlib.reload(module)
    clear_url_caches()


def test_without_demo_no_host_serves_the_demo_index_or_pages_but_the_product_works(
    councils, without_demo
):
    for host, path in [
        ("alpha.localhost", "/"),
        ("alpha.localhost", "/parking/pay-a-parking-fine"),
        (councils.partnership_host, "/"),
        (councils.partnership_host, "/highways/highway-area-offices"),
        ("localhost", "/"),
    ]:
        assert Client(HTTP_HOST=host).get(path).status_code == 404, (host, path)
    assert Client(HTTP_HOST="alpha.localhost").get("/widget/config").status_code == 200
    assert Client(HTTP_HOST="alpha.localhost").get("/widget/embed.js").status_code == 200
    assert Client(HTTP_HOST="alpha.localhost").get("/console/").status_code == 302  # to log in
    assert Client(HTTP_HOST="alpha.localhost").get("/admin/login/").status_code == 200
    assert Client(HTTP_HOST="localhost").get("/admin/login/").status_code == 200
