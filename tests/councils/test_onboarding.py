"""Onboarding councils: from a CSV, from the command line, from the public admin's form."""

from __future__ import annotations

import io
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context, schema_exists

from chat.payloads import operator_display_name
from councils.models import Council, Domain
from councils.onboarding import (
    BASE_SCHEMA,
    COUNCIL_ADMINS,
    OPERATORS,
    CouncilSpec,
    council_onboard,
)
from routing.models import Department
from tests.councils.helpers import (
    NEW_PASSWORD,
    chat_is_answered,
    choose_password,
    log_in,
    set_password_link,
)
from tests.factories import PASSWORD, operator_in
from widgets.models import WidgetSettings

CSV = (
    "name,slug,hosts,admin_email,partnership,brand_colour,departments,name_cy\n"
    "Delta District Council,delta,delta.localhost;chat.delta.gov.uk,lead@delta.gov.uk,"
    "wessex,#00594f,Council tax;Waste and recycling,Cyngor Dosbarth Delta\n"
    "Epsilon Borough Council,epsilon,epsilon.localhost,boss@epsilon.gov.uk,,,,\n"
)


def onboard(*args: str) -> str:
    out = io.StringIO()
    call_command("onboard_council", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_given_a_csv_of_councils_when_onboarded_then_each_is_ready_and_answers_a_chat(
    new_councils, tmp_path
):
    new_councils += ["delta", "epsilon"]
    path = tmp_path / "councils.csv"
    path.write_text(CSV)

    output = onboard("--csv", str(path))

    assert "[1/2] delta: created by clone" in output
    assert "[2/2] epsilon: created by clone" in output
    delta = Council.objects.get(slug="delta")
    assert delta.partnership.slug == "wessex"
    assert (delta.name_cy, Council.objects.get(slug="epsilon").name_cy) == (
        "Cyngor Dosbarth Delta",
        "",
    )
    assert sorted(delta.domains.values_list("domain", "is_primary")) == [
        ("chat.delta.gov.uk", False),
        ("delta.localhost", True),
    ]
    with schema_context(delta.schema_name):
        assert list(Department.objects.values_list("slug", flat=True)) == [
            "council-tax",
            "waste-and-recycling",
        ]
        assert WidgetSettings.current().brand_colour == "#00594f"
    with schema_context(Council.objects.get(slug="epsilon").schema_name):
        assert list(Department.objects.values_list("name", flat=True)) == ["General enquiries"]
    assert sorted(m.to[0] for m in mail.outbox) == ["boss@epsilon.gov.uk", "lead@delta.gov.uk"]
    chat_is_answered("delta")
    chat_is_answered("epsilon")


def test_the_emailed_link_lets_the_first_admin_choose_a_password_and_manage_the_council(
    new_councils,
):
    new_councils.append("zeta")
    onboard(
        "--name",
        "Zeta Council",
        "--slug",
        "zeta",
        "--host",
        "zeta.localhost",
        "--admin-email",
        "Chief@Zeta.gov.uk",
    )
    link = set_password_link("chief@zeta.gov.uk")
    assert link.startswith("http://zeta.localhost")

    choose_password(link)
    admin = log_in("zeta.localhost", "chief@zeta.gov.uk", NEW_PASSWORD)

    home = admin.get("/admin/")
    assert b"Widget settings" in home.content and b"Departments" in home.content
    assert admin.get("/admin/routing/department/add/").status_code == 200
    assert admin.get("/admin/").context["user"].groups.get().name == COUNCIL_ADMINS
    # The link works once.
    reused = Client(HTTP_HOST="zeta.localhost").get(urlsplit(link).path, follow=True)
    assert b"new_password1" not in reused.content


def test_a_set_password_link_for_one_council_is_worthless_on_another(new_councils):
    new_councils += ["eta", "theta"]
    for slug in ("eta", "theta"):
        onboard(
            "--name",
            f"{slug.title()} Council",
            "--slug",
            slug,
            "--host",
            f"{slug}.localhost",
            "--admin-email",
            f"admin@{slug}.gov.uk",
        )
    path = urlsplit(set_password_link("admin@eta.gov.uk")).path
    # Both first admins are user 1 of their schema; the token names the schema too.
    response = Client(HTTP_HOST="theta.localhost").get(path, follow=True)
    assert b"new_password1" not in response.content
    assert b"invalid" in response.content.lower()


def test_given_an_onboarded_council_when_run_again_then_details_and_hosts_change_and_data_stays(
    new_councils,
):
    new_councils.append("iota")
    args = ["--name", "Iota Council", "--slug", "iota", "--host", "iota.localhost"]
    onboard(*args, "--admin-email", "a@iota.gov.uk", "--name-cy", "Cyngor Iota")
    council = Council.objects.get(slug="iota")
    assert council.name_cy == "Cyngor Iota"
    with schema_context(council.schema_name):
        Department.objects.create(name="Parking", slug="parking")
    mail.outbox = []

    output = onboard(
        "--name",
        "Iota City Council",
        "--slug",
        "iota",
        "--host",
        "iota.localhost",
        "--host",
        "chat.iota.gov.uk",
        "--admin-email",
        "a@iota.gov.uk",
    )

    assert "already onboarded" in output
    council.refresh_from_db()
    assert council.name == "Iota City Council"
    assert council.name_cy == "Cyngor Iota"  # no --name-cy this time: the Welsh name stays
    onboard(*args, "--admin-email", "a@iota.gov.uk", "--name-cy", "Cyngor Dinas Iota")
    council.refresh_from_db()
    assert council.name_cy == "Cyngor Dinas Iota"
    assert set(council.domains.values_list("domain", flat=True)) == {
        "iota.localhost",
        "chat.iota.gov.uk",
    }
    with schema_context(council.schema_name):
        assert Department.objects.filter(slug="parking").exists()
    assert mail.outbox == []


def test_given_a_csv_with_a_bad_row_then_nothing_is_onboarded_and_the_line_is_named(
    new_councils, tmp_path
):
    new_councils += ["delta", "epsilon"]
    path = tmp_path / "councils.csv"
    path.write_text(CSV + "Bad Council,not a slug!,,nobody,,#ffffff,\n")
    err = io.StringIO()
    with pytest.raises(CommandError, match="Nothing was onboarded"):
        call_command("onboard_council", "--csv", str(path), stdout=io.StringIO(), stderr=err)
    assert "line 4: slug" in err.getvalue()
    assert "line 4: hosts" in err.getvalue()
    assert "line 4: admin_email" in err.getvalue()
    assert "line 4: brand_colour" in err.getvalue()
    assert not Council.objects.filter(slug__in=["delta", "epsilon"]).exists()


def test_a_host_that_belongs_to_another_council_is_refused_and_nothing_is_created(new_councils):
    new_councils.append("kappa")
    with pytest.raises(ValidationError, match=r"alpha\.localhost already belongs to Alpha"):
        council_onboard(
            CouncilSpec(
                name="Kappa", slug="kappa", hosts=("alpha.localhost",), admin_email="k@k.gov.uk"
            )
        )
    assert not Council.objects.filter(slug="kappa").exists()
    assert not schema_exists("council_kappa")


def test_a_cloned_council_gets_its_own_roles_and_its_ids_carry_on_after_the_copied_rows(
    new_councils,
):
    new_councils.append("lambda")
    result = council_onboard(
        CouncilSpec(
            name="Lambda", slug="lambda", hosts=("lambda.localhost",), admin_email="l@l.gov.uk"
        )
    )
    assert result.method == "clone" and result.created
    assert not Council.objects.filter(schema_name=BASE_SCHEMA).exists()  # never a tenant
    from django.contrib.auth.models import Group, Permission

    with schema_context(result.council.schema_name):
        assert set(Group.objects.values_list("name", flat=True)) == {COUNCIL_ADMINS, OPERATORS}
        operators = Group.objects.get(name=OPERATORS)
        assert set(operators.permissions.values_list("codename", flat=True)) == {
            "view_conversation",
            "view_cannedresponse",
        }
        # Rows copied from the base (groups, permissions) must not collide with new ones
        # (django-tenants #831: identity sequences after a clone).
        Group.objects.create(name="Supervisors")
        Permission.objects.create(
            name="x", codename="x", content_type=Permission.objects.first().content_type
        )
    connection.set_schema_to_public()


def test_clone_and_migrate_build_the_same_tables(new_councils):
    new_councils += ["mu", "nu"]
    cloned = council_onboard(
        CouncilSpec(name="Mu", slug="mu", hosts=("mu.localhost",), admin_email="m@mu.gov.uk")
    )
    migrated = council_onboard(
        CouncilSpec(name="Nu", slug="nu", hosts=("nu.localhost",), admin_email="n@nu.gov.uk"),
        method="migrate",
    )
    assert migrated.method == "migrate"

    def columns(schema: str) -> list[tuple]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT table_name, column_name, data_type, is_nullable, is_identity "
                "FROM information_schema.columns WHERE table_schema = %s ORDER BY 1, 2",
                [schema],
            )
            return cursor.fetchall()

    def constraints(schema: str) -> list[tuple]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT conrelid::regclass::text, contype, pg_get_constraintdef(oid) "
                "FROM pg_constraint WHERE connamespace = %s::regnamespace ORDER BY 1, 2, 3",
                [schema],
            )
            return [(t.split(".")[-1], k, d.replace(schema, "S")) for t, k, d in cursor.fetchall()]

    assert columns(cloned.council.schema_name) == columns(migrated.council.schema_name)
    assert constraints(cloned.council.schema_name) == constraints(migrated.council.schema_name)
    chat_is_answered("nu")


def test_the_onboarding_form_in_the_public_admin_creates_a_council_that_answers_a_chat(
    new_councils,
):
    new_councils.append("omicron")
    from django.contrib.auth import get_user_model

    manager, _ = get_user_model().objects.update_or_create(
        username="pm", defaults={"is_staff": True, "is_superuser": True}
    )
    manager.set_password(PASSWORD)
    manager.save()
    client = log_in("localhost", "pm", PASSWORD)

    form = client.get("/admin/councils/council/add/")
    assert b"Onboard a council" in form.content
    bad = client.post("/admin/councils/council/add/", {"name": "Omicron", "slug": "omicron"})
    assert b"This field is required" in bad.content
    taken = client.post(
        "/admin/councils/council/add/",
        {
            "name": "Omicron Council",
            "slug": "omicron",
            "hosts": "alpha.localhost",
            "admin_name": "Olu Okafor",
            "admin_email": "o@omicron.gov.uk",
            "brand_colour": "#1d4f91",
            "departments": "General enquiries",
        },
    )
    assert b"alpha.localhost already belongs to Alpha Council" in taken.content
    response = client.post(
        "/admin/councils/council/add/",
        {
            "name": "Omicron Council",
            "slug": "omicron",
            "hosts": "omicron.localhost\nchat.omicron.gov.uk",
            "admin_name": "  Olu   Ade Okafor ",
            "name_cy": " Cyngor  Omicron ",
            "admin_email": "o@omicron.gov.uk",
            "brand_colour": "#1d4f91",
            "departments": "Housing\nParking",
        },
        follow=True,
    )

    assert b"is onboarded" in response.content
    assert Domain.objects.get(domain="omicron.localhost").is_primary
    omicron = Council.objects.get(slug="omicron")
    assert omicron.name_cy == "Cyngor Omicron"  # issue 15
    # ... and the council's page edits it beside the English name.
    page = client.get(f"/admin/councils/council/{omicron.pk}/change/").content.decode()
    assert "Welsh name" in page and 'value="Cyngor Omicron"' in page
    # The first admin has the name the manager gave (issue 15): residents see "Olu".
    with schema_context(Council.objects.get(slug="omicron").schema_name):
        admin = get_user_model().objects.get(email="o@omicron.gov.uk")
        assert (admin.first_name, admin.last_name) == ("Olu", "Ade Okafor")
        assert operator_display_name(admin) == "Olu"
    choose_password(set_password_link("o@omicron.gov.uk"))
    chat_is_answered("omicron")


def test_an_operator_of_a_new_council_can_sign_in_to_the_console(new_councils):
    new_councils.append("pi")
    result = council_onboard(
        CouncilSpec(name="Pi", slug="pi", hosts=("pi.localhost",), admin_email="p@pi.gov.uk")
    )
    from councils.sites import council_ref

    operator_in(council_ref(result.council), "sam")
    client = log_in("pi.localhost", "sam", PASSWORD)
    assert client.get("/console/").status_code == 200


def test_a_council_left_without_its_schema_gets_a_fresh_one_when_onboarded_again(new_councils):
    new_councils.append("chi")
    spec = CouncilSpec(name="Chi", slug="chi", hosts=("chi.localhost",), admin_email="c@chi.gov.uk")
    council = council_onboard(spec).council
    with connection.cursor() as cursor:
        cursor.execute(f'DROP SCHEMA "{council.schema_name}" CASCADE')  # a half-made council

    again = council_onboard(spec)

    assert again.created and again.council.pk == council.pk
    assert schema_exists(council.schema_name)
    chat_is_answered("chi")


def test_a_csv_that_repeats_a_slug_or_a_host_or_names_a_bad_host_is_refused_line_by_line():
    from councils.onboarding import councils_from_csv

    plan = councils_from_csv(
        io.StringIO(
            CSV
            + "Delta Again,delta,other.localhost,x@delta.gov.uk,,,\n"
            + "Omega,omega,epsilon.localhost,x@omega.gov.uk,,,\n"
            + "Bad Host,badhost,not a host!,x@bad.gov.uk,,,\n"
        )
    )

    assert [(p.line, p.message) for p in plan.problems] == [
        (4, "slug: delta is also on line 2."),
        (5, "hosts: epsilon.localhost also on line 3."),
        (6, "hosts: Not a host name: not a host! (e.g. chat.westdorset.gov.uk)."),
    ]


def test_two_councils_onboarded_at_the_same_time_both_get_their_schema(new_councils):
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connections

    new_councils += ["psi", "omega"]

    def onboard_in_thread(slug: str) -> bool:
        try:
            return council_onboard(
                CouncilSpec(
                    name=slug.title(),
                    slug=slug,
                    hosts=(f"{slug}.localhost",),
                    admin_email=f"a@{slug}.gov.uk",
                )
            ).created
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=2) as pool:
        created = list(pool.map(onboard_in_thread, ["psi", "omega"]))

    assert created == [True, True]
    assert schema_exists("council_psi") and schema_exists("council_omega")


def test_the_base_schema_is_migrated_again_when_a_migration_is_missing_from_it(committed):
    from django.db.migrations.loader import MigrationLoader

    from councils.onboarding import base_pending_migrations, base_schema_prepare

    assert base_pending_migrations() == 0
    # The latest councils migration (a leaf: an earlier one is not re-planned while a later
    # one is recorded).
    leaf = next(
        name
        for app, name in MigrationLoader(None, ignore_no_migrations=True).graph.leaf_nodes()
        if app == "councils"
    )
    with connection.cursor() as cursor:
        # A councils migration changes nothing in a council schema (the router keeps it in
        # public), so forgetting its record stands in for a migration added by an upgrade.
        cursor.execute(
            "DELETE FROM council_base.django_migrations WHERE app = %s AND name = %s",
            ["councils", leaf],
        )
    assert base_pending_migrations() == 1

    assert base_schema_prepare(force_check=True) is True

    assert base_pending_migrations() == 0
    assert base_schema_prepare(force_check=True) is False
