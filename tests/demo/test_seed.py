"""The demo's seed: what it makes, through the production onboarding path, and that running
it again (every `make demo`) changes nothing an admin changed (issue 15, point 9)."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context

from chat.models import CannedResponse
from councils.models import Council, PostcodeDistrict, RoutingRule
from councils.onboarding import COUNCIL_ADMINS, OPERATORS
from demo.seed import DEMO_COUNCILS, seed_demo
from routing.models import Department
from social.models import SocialConnection, WhatsAppTemplate
from tests.councils.helpers import log_in
from tests.demo.conftest import PASSWORD
from widgets.models import PrechatField, WidgetSettings

pytestmark = pytest.mark.usefixtures("committed")


def schema_of(slug: str) -> str:
    connection.set_schema_to_public()
    return Council.objects.get(slug=slug).schema_name


def test_the_seed_makes_every_council_with_alex_a_council_admin_and_sam_an_operator(seeded):
    assert seeded.councils_created == [c.slug for c in DEMO_COUNCILS]
    with schema_context(schema_of("dorset")):
        users = {u.username: u for u in get_user_model().objects.prefetch_related("groups")}
        assert [g.name for g in users["alex"].groups.all()] == [COUNCIL_ADMINS]
        assert [g.name for g in users["sam"].groups.all()] == [OPERATORS]
        assert not users["alex"].is_superuser
        branding = WidgetSettings.current()
        assert (branding.brand_colour, branding.offer_welsh) == ("#00594f", True)
        # Each with its Welsh name (issue 15), the one onboarding made (Parking) included.
        assert {d.slug: d.name_cy for d in Department.objects.all()} == {
            "parking": "Parcio",
            "highways": "Priffyrdd",
            "general": "Ymholiadau cyffredinol",
            "waste": "Gwastraff ac ailgylchu",
        }
    with schema_context(schema_of("somerset")):
        assert WidgetSettings.current().quick_exit_enabled
    connection.set_schema_to_public()
    assert PostcodeDistrict.objects.filter(outward_code="DT4").get().council.slug == (
        "weymouth-portland"
    )
    assert RoutingRule.objects.filter(partnership__slug="dorsetforyou").count() == 3
    alex = log_in("dorset.localhost", "alex", PASSWORD)
    assert alex.get("/admin/routing/department/").status_code == 200
    sam = log_in("dorset.localhost", "sam", PASSWORD)
    assert sam.get("/console/").status_code == 200
    assert sam.get("/admin/routing/department/").status_code == 403
    page = Client(HTTP_HOST="dorset.localhost").get("/parking/pay-a-parking-fine")
    assert page.status_code == 200


def test_seeding_again_keeps_what_an_admin_changed_and_adds_only_what_is_missing(seeded, settings):
    settings.DEMO_PASSWORD = "yet-another-password"  # so the command writes no password file
    with schema_context(schema_of("christchurch")):
        branding = WidgetSettings.current()
        branding.brand_colour, branding.greeting, branding.offer_welsh = "#123456", "Hi!", False
        branding.save()
        Department.objects.filter(slug="parking").update(name="Parking services", name_cy="")
        Department.objects.filter(slug="highways").update(name_cy="Priffyrdd a ffyrdd")
        Department.objects.filter(slug="waste").delete()
        PrechatField.objects.filter(key="email").update(label="Your email")
        alex = get_user_model().objects.get(username="alex")
        alex.set_password("changed-by-alex")
        alex.first_name = "Alexandra"
        alex.save()
    connection.set_schema_to_public()
    christchurch = Council.objects.get(slug="christchurch")
    christchurch.name = "Christchurch Council"
    christchurch.save()

    call_command("seed_demo", stdout=io.StringIO())  # what `make demo` runs on every start
    report = seed_demo(password="another-password")

    assert report.councils_created == []
    connection.set_schema_to_public()
    assert Council.objects.get(slug="christchurch").name == "Christchurch Council"
    with schema_context(schema_of("christchurch")):
        branding = WidgetSettings.current()
        assert (branding.brand_colour, branding.greeting, branding.offer_welsh) == (
            "#123456",
            "Hi!",
            False,
        )
        parking = Department.objects.get(slug="parking")
        assert (parking.name, parking.name_cy) == ("Parking services", "")  # renamed: left
        assert Department.objects.get(slug="highways").name_cy == "Priffyrdd a ffyrdd"
        assert Department.objects.get(slug="waste").name_cy == "Gwastraff ac ailgylchu"
        assert Department.objects.filter(slug="waste").exists()  # missing, so made again
        assert PrechatField.objects.get(key="email").label == "Your email"
        alex = get_user_model().objects.get(username="alex")
        assert alex.first_name == "Alexandra" and alex.check_password("changed-by-alex")


# ---- canned replies, and a reseed that keeps an admin's changes (issue 15, point 9) -------


def test_every_demo_council_gets_a_handful_of_canned_replies_that_use_the_placeholders(seeded):
    for spec in DEMO_COUNCILS:
        with schema_context(schema_of(spec.slug)):
            replies = list(
                CannedResponse.objects.select_related("department").filter(language="en")
            )
            assert 4 <= len(replies) <= 6
            bodies = " ".join(r.body for r in replies)
            for placeholder in ("{visitor_name}", "{operator_name}", "{council}"):
                assert placeholder in bodies
            assert f"https://www.{spec.slug}.gov.uk/parking/pay-a-parking-fine" in bodies
            by_shortcut = {r.shortcut: r for r in replies}
            assert by_shortcut["pcn"].department.slug == "parking"
            assert "bin collection" in by_shortcut["bins"].body


def test_the_welsh_demo_council_gets_welsh_replies_and_every_council_its_welsh_name(seeded):
    """Issue 15: Dorset's chat offers Welsh, so its replies come in Welsh too, under the same
    shortcuts; the others have English ones only. Partnership councils and services have
    Welsh names."""
    from django.db import connection

    from councils.models import Council, PartnershipService

    with schema_context(schema_of("dorset")):
        welsh = {r.shortcut: r.body for r in CannedResponse.objects.filter(language="cy")}
        english = set(
            CannedResponse.objects.filter(language="en").values_list("shortcut", flat=True)
        )
    assert set(welsh) == english and "{visitor_name}" in welsh["hello"]
    assert "ar ran {council}" in welsh["hello"]  # no mutating preposition before a name
    with schema_context(schema_of("purbeck")):
        assert not CannedResponse.objects.filter(language="cy").exists()
    connection.set_schema_to_public()
    names = dict(Council.objects.values_list("slug", "name_cy"))
    assert names["dorset"] == "Cyngor Sir Dorset"
    assert names["west-dorset"] == "Cyngor Dosbarth Gorllewin Dorset"
    assert all(names[spec.slug] for spec in DEMO_COUNCILS if spec.partnership)
    services = dict(PartnershipService.objects.values_list("slug", "name_cy"))
    assert services == {"highways": "Priffyrdd", "waste": "Gwastraff ac ailgylchu"}


def test_a_reseed_keeps_the_branding_canned_replies_and_social_settings_an_admin_changed(seeded):
    with schema_context(schema_of("west-dorset")):
        branding = WidgetSettings.current()
        branding.brand_colour, branding.launcher_text = "#222222", "Talk to us"
        branding.save()
        CannedResponse.objects.filter(shortcut="hello", language="en").update(
            body="Hi {visitor_name}!"
        )
        CannedResponse.objects.filter(shortcut="bye").delete()
        SocialConnection.objects.filter(kind="whatsapp").update(enabled=False, name="Our WhatsApp")
        WhatsAppTemplate.objects.filter(name="council_follow_up").update(body_preview="Edited")

    seed_demo(password="a-third-password")

    with schema_context(schema_of("west-dorset")):
        branding = WidgetSettings.current()
        assert (branding.brand_colour, branding.launcher_text) == ("#222222", "Talk to us")
        assert CannedResponse.objects.get(shortcut="hello").body == "Hi {visitor_name}!"
        assert CannedResponse.objects.filter(shortcut="bye").exists()  # missing: made again
        whatsapp = SocialConnection.objects.get(kind="whatsapp")
        assert (whatsapp.enabled, whatsapp.name) == (False, "Our WhatsApp")
        template = WhatsAppTemplate.objects.get(name="council_follow_up")
        assert template.body_preview == "Edited"
