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


def test_the_partnership_report_shows_member_councils_to_partnership_managers(councils):
    dataset.build(councils.alpha)
    connection.set_schema_to_public()
    manager, _ = get_user_model().objects.update_or_create(
        username="pm", defaults={"is_staff": True, "is_superuser": True}
    )
    manager.set_password(PASSWORD)
    manager.save()
    client = Client(HTTP_HOST="localhost")
    assert client.post("/admin/login/", {"username": "pm", "password": PASSWORD}).status_code == 302

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
