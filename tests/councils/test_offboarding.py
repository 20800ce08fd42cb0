"""Offboarding: everything of the council is exported to a file, then its schema is dropped."""

from __future__ import annotations

import io
import json

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django_tenants.utils import schema_context, schema_exists

from chat.models import Note
from councils.models import Council, Domain, PostcodeDistrict
from councils.onboarding import CouncilSpec, council_onboard
from councils.sites import council_ref
from tests.councils.helpers import log_in
from tests.factories import PASSWORD, chat_in


def onboarded(slug: str, partnership: str = "") -> Council:
    return council_onboard(
        CouncilSpec(
            name=f"{slug.title()} Council",
            slug=slug,
            hosts=(f"{slug}.localhost",),
            admin_email=f"admin@{slug}.gov.uk",
            partnership_slug=partnership,
        )
    ).council


def test_offboarding_exports_the_chats_and_public_rows_then_the_schema_and_hosts_are_gone(
    new_councils, tmp_path
):
    new_councils.append("rho")
    council = onboarded("rho", partnership="wessex")
    PostcodeDistrict.objects.create(
        partnership=council.partnership, outward_code="ZZ9", council=council
    )
    chat = chat_in(council_ref(council), name="Jo <b>Export</b>", message="Keep me, please")
    with schema_context(council.schema_name):
        Note.objects.create(conversation_id=chat.id, author_name="Sam", body="called back")

    out = io.StringIO()
    call_command(
        "offboard_council",
        "--slug",
        "rho",
        "--confirm",
        "rho",
        "--output-dir",
        str(tmp_path),
        stdout=out,
    )

    [export_file] = tmp_path.glob("rho-*.json")
    assert oct(export_file.stat().st_mode & 0o777) == "0o600"
    data = json.loads(export_file.read_text())
    assert f"to {export_file}" in out.getvalue()
    conversations = data["schema"]["chat.conversation"]
    assert [c["pk"] for c in conversations] == [str(chat.id)]
    assert [m["fields"]["body"] for m in data["schema"]["chat.message"]] == ["Keep me, please"]
    assert data["schema"]["chat.visitor"][0]["fields"]["name"] == "Jo <b>Export</b>"
    assert data["schema"]["chat.note"][0]["fields"]["body"] == "called back"
    assert data["schema"]["auth.user"][0]["fields"]["email"] == "admin@rho.gov.uk"
    assert [d["fields"]["domain"] for d in data["public"]["councils.domain"]] == ["rho.localhost"]
    assert data["public"]["councils.postcodedistrict"][0]["fields"]["outward_code"] == "ZZ9"

    assert not schema_exists(council.schema_name)
    assert not Council.objects.filter(slug="rho").exists()
    assert not Domain.objects.filter(domain="rho.localhost").exists()
    assert not PostcodeDistrict.objects.filter(outward_code="ZZ9").exists()


def test_offboarding_with_the_wrong_confirmation_deletes_nothing(new_councils, tmp_path):
    new_councils.append("sigma")
    council = onboarded("sigma")
    with pytest.raises(CommandError, match="Nothing was deleted"):
        call_command(
            "offboard_council",
            "--slug",
            "sigma",
            "--confirm",
            "sigmaa",
            "--output-dir",
            str(tmp_path),
            stdout=io.StringIO(),
        )
    assert schema_exists(council.schema_name)
    assert Council.objects.filter(slug="sigma").exists()
    assert list(tmp_path.iterdir()) == []


def test_offboarding_asks_for_the_slug_to_be_typed(new_councils, tmp_path, monkeypatch):
    new_councils.append("tau")
    council = onboarded("tau")
    monkeypatch.setattr("builtins.input", lambda prompt: "not-tau")
    with pytest.raises(CommandError, match="does not match"):
        call_command(
            "offboard_council",
            "--slug",
            "tau",
            "--output-dir",
            str(tmp_path),
            stdout=io.StringIO(),
        )
    assert schema_exists(council.schema_name)
    monkeypatch.setattr("builtins.input", lambda prompt: "tau")
    call_command(
        "offboard_council", "--slug", "tau", "--output-dir", str(tmp_path), stdout=io.StringIO()
    )
    assert not schema_exists(council.schema_name)


def test_the_public_admin_offboards_a_council_only_after_its_slug_is_typed(
    new_councils, tmp_path, settings
):
    settings.COUNCIL_EXPORT_DIR = tmp_path
    new_councils.append("upsilon")
    council = onboarded("upsilon")
    manager, _ = get_user_model().objects.update_or_create(
        username="pm", defaults={"is_staff": True, "is_superuser": True}
    )
    manager.set_password(PASSWORD)
    manager.save()
    client = log_in("localhost", "pm", PASSWORD)
    action = {"action": "offboard", "_selected_action": [council.pk]}

    page = client.post("/admin/councils/council/", action)
    assert page.status_code == 200
    assert b"Type the council" in page.content and b"upsilon.localhost" in page.content
    wrong = client.post("/admin/councils/council/", {**action, "confirm_slug": "alpha"})
    assert b"does not match" in wrong.content
    assert schema_exists(council.schema_name)

    done = client.post(
        "/admin/councils/council/", {**action, "confirm_slug": "upsilon"}, follow=True
    )

    assert b"is offboarded" in done.content
    assert not schema_exists(council.schema_name)
    assert len(list(tmp_path.glob("upsilon-*.json"))) == 1
    # No plain delete: it would leave the schema behind.
    assert b"delete_selected" not in client.get("/admin/councils/council/").content
