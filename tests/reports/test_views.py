"""The reports pages: council admins see their council's figures with charts, tables and
CSV downloads; partnership managers see members' aggregates; bad dates never fail."""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context

from privacy.models import AuditEntry
from tests.admin.factories import admin_client, council_admin, operator
from tests.factories import PASSWORD
from tests.reports import dataset

pytestmark = pytest.mark.usefixtures("committed")
WEEK = {"from": dataset.FIRST, "to": dataset.LAST}


@pytest.fixture
def chief(councils):
    dataset.build(councils.alpha)
    council_admin(councils.alpha)
    return admin_client(councils.alpha, "chief")


def test_the_council_report_shows_the_figures_with_accessible_charts_and_tables(chief):
    page = chief.get("/admin/report/", WEEK)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="summary-offered">9<' in html
    assert 'data-testid="summary-wait-p50">53 s<' in html  # readable durations (issue 15)
    assert 'data-testid="summary-rated-4-5">60.0%<' in html
    assert html.count('role="img"') == 9 and "<title id=" in html and "<desc id=" in html
    assert "Welsh" in html and "Assistant" in html and "23:00" in html
    assert "Resident 1" not in html  # figures only
    assert "Reports" in chief.get("/admin/").content.decode()


def test_every_table_downloads_as_csv_and_the_export_is_audited(councils, chief):
    for table in ("summary", "by_department", "by_operator", "by_channel", "by_language",
                  "by_hour", "by_weekday", "outcomes", "ratings", "enquiries"):  # fmt: skip
        response = chief.get("/admin/report/", {**WEEK, "csv": table})
        assert response["Content-Type"] == "text/csv", table
        rows = list(csv.reader(io.StringIO(response.content.decode())))
        assert len(rows) >= 2, table
    language = chief.get("/admin/report/", {**WEEK, "csv": "by_language"}).content.decode()
    rows = {r[0]: r for r in csv.reader(io.StringIO(language))}
    assert rows["Welsh"][1:4] == ["3", "2", "0"]  # offered, answered, missed
    with schema_context(councils.alpha.schema_name):
        assert AuditEntry.objects.filter(action="exported", object_type="report").count() == 11


@pytest.mark.parametrize(
    "params",
    [{"from": "yesterday", "to": "x"}, {"from": "2026-03-08", "to": "2026-03-01"},
     {"from": "2020-01-01", "to": "2026-01-01"}, {"from": "2026-03-02"}],
)  # fmt: skip
def test_bad_dates_show_the_last_30_days_and_say_why(chief, params):
    page = chief.get("/admin/report/", params)
    assert page.status_code == 200 and 'role="alert"' in page.content.decode()


def test_operators_cannot_see_reports(councils, chief):
    operator(councils.alpha)
    assert admin_client(councils.alpha, "sam").get("/admin/report/").status_code == 403


def partnership_manager() -> Client:
    connection.set_schema_to_public()
    manager, _ = get_user_model().objects.update_or_create(
        username="pm", defaults={"is_staff": True, "is_superuser": True}
    )
    manager.set_password(PASSWORD)
    manager.save()
    client = Client(HTTP_HOST="localhost")
    assert client.post("/admin/login/", {"username": "pm", "password": PASSWORD}).status_code == 302
    return client


def test_the_partnership_report_shows_member_councils_to_partnership_managers(councils):
    dataset.build(councils.alpha)
    client = partnership_manager()

    page = client.get("/admin/partnership-report/", {**WEEK, "partnership": "wessex"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "Alpha Council" in html and "Beta Council" in html and "Gamma Council" not in html
    assert "All member councils" in html and 'role="img"' in html
    assert "Resident" not in html
    assert "Partnership report" in client.get("/admin/").content.decode()
    export = client.get("/admin/partnership-report/", {**WEEK, "partnership": "wessex",
                                                       "csv": "partnership"})  # fmt: skip
    rows = {r[0]: r for r in csv.reader(io.StringIO(export.content.decode()))}
    assert rows["Alpha Council"][1:4] == ["11", "9", "6"]


def test_left_the_queue_and_the_abandoned_outcome_have_distinct_explained_labels(councils):
    """A queued chat the system closes because its resident's page is gone counts once as
    "Left the queue unanswered" and once under the outcome "Abandoned (resident gone)": two
    labels, each explained on the page, and the CSV columns say the same."""
    from django.utils import timezone

    from chat.actions.lifecycle import conversation_end
    from tests.factories import chat_in

    alpha = councils.alpha
    gone = chat_in(alpha)
    with schema_context(alpha.schema_name):
        conversation_end(council=alpha, conversation_id=gone.id, abandoned=True)
    council_admin(alpha)
    client = admin_client(alpha, "chief")
    today = str(timezone.localdate())
    params = {"from": today, "to": today}
    html = client.get("/admin/report/", params).content.decode()
    assert "Left the queue unanswered</dt>" in html
    assert 'data-testid="summary-left-in-queue">1<' in html
    assert "<dt>Abandoned (resident gone)</dt>" in html  # the explanation beside the figures
    assert "Abandoned in" not in html  # the old, ambiguous label

    def csv_rows(table: str) -> list[list[str]]:
        body = client.get("/admin/report/", {**params, "csv": table}).content.decode()
        return list(csv.reader(io.StringIO(body)))

    header = csv_rows("by_department")[0]
    assert "Left the queue unanswered" in header and not any("bandon" in h for h in header)
    assert ["Abandoned (resident gone)", "1"] in csv_rows("outcomes")
    assert ["Left the queue unanswered", "1"] in csv_rows("summary")


# Dates at the edges of what Python and PostgreSQL can hold, impossible dates, digits of
# other scripts and padding: the page (and its CSV) answers 200 with the reason shown. (A NUL
# in any query is refused with 400 before any view: reliability's input middleware.)
ODD_DATES = [
    {"from": "9999-12-31", "to": "9999-12-31"},
    {"from": "0001-01-01", "to": "0001-01-01"},
    {"from": "2026-02-30", "to": "2026-03-01"},
    {"from": "٢٠٢٦-٠٣-٠٢", "to": "٢٠٢٦-٠٣-٠٨"},
    {"from": " 2026-03-02", "to": "2026-03-08 "},
    {"from": "2026-3-2", "to": "2026-03-08"},
    {"from": "", "to": "2026-03-08"},
    {"from": "1" * 5000, "to": "2026-03-08"},
]


@pytest.mark.parametrize("params", ODD_DATES)
def test_odd_dates_never_fail_the_page_or_its_csv(chief, params):
    page = chief.get("/admin/report/", params)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'role="alert"' in html or 'data-testid="summary-offered"' in html
    export = chief.get("/admin/report/", {**params, "csv": "by_hour"})
    assert export.status_code == 200 and export["Content-Type"] == "text/csv"


def test_a_date_no_chat_can_have_says_which_dates_to_choose(chief):
    html = chief.get("/admin/report/", {"from": "9999-12-31", "to": "9999-12-31"}).content
    assert b"Choose dates between 2000-01-01 and " in html


@pytest.mark.parametrize("params", ODD_DATES[:4])
def test_odd_dates_never_fail_the_partnership_report(councils, params):
    client = partnership_manager()
    for extra in ({}, {"csv": "partnership"}, {"partnership": "nowhere"}):
        response = client.get("/admin/partnership-report/", {**params, **extra})
        assert response.status_code == 200, (params, extra)


def test_every_table_on_the_page_has_a_csv_link_that_downloads_the_same_numbers(councils, chief):
    """Read from the page itself, so a table added later is checked without listing it."""
    import re
    from datetime import date

    from reports.selectors import Period, council_report
    from reports.views import council_tables

    with schema_context(councils.alpha.schema_name):  # so the tag table has a row too
        from chat.models import Conversation, Tag

        tag = Tag.objects.create(name="Complaint", slug="complaint")
        tag.conversations.add(Conversation.objects.get(created_at=dataset.T(2, 9, 0)))
    html = chief.get("/admin/report/", WEEK).content.decode()
    links = re.findall(r'href="\?([^"]*csv=([a-z_]+))"', html)
    with schema_context(councils.alpha.schema_name):
        report = council_report(Period(date(2026, 3, 2), date(2026, 3, 8)))
    tables = {t.slug: t for t in council_tables(report)}
    assert {slug for _, slug in links} == {"summary", *tables}
    for query, slug in links:
        response = chief.get("/admin/report/?" + query.replace("&amp;", "&"))
        assert response["Content-Type"] == "text/csv", slug
        rows = list(csv.reader(io.StringIO(response.content.decode())))
        assert len(rows) >= 2, slug  # a header and at least one row
        if slug != "summary":  # the figures the selectors' tests check, unrounded
            assert rows == list(csv.reader(io.StringIO(tables[slug].csv()))), slug
