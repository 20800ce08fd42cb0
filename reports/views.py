"""The council report (council admin) and the partnership report (public admin).

Views parse the date range, authorise, call reports.selectors and lay the figures out as
tables, SVG charts and CSV downloads. Bad dates never fail: the default range is used and
the form says why.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone

from reports import formatting as fmt
from reports.charts import bar_chart
from reports.selectors import LONDON, Period, council_report, partnership_report

MAX_DAYS = 731
EARLIEST = date(2000, 1, 1)  # before any council used CouncilChat


@dataclass(frozen=True)
class Column:
    header: str
    key: str
    show: Callable[[Any], str] = fmt.count


@dataclass(frozen=True)
class Table:
    slug: str
    title: str
    description: str
    rows: list[dict[str, Any]]
    columns: Sequence[Column]
    chart_key: str | None = None  # which column the chart draws

    @property
    def body(self) -> list[list[str]]:
        return [
            [row.get("label", "")] + [c.show(row.get(c.key)) for c in self.columns]
            for row in self.rows
        ]

    def chart(self):
        if not self.chart_key or not self.rows:
            return None
        column = next(c for c in self.columns if c.key == self.chart_key)
        return bar_chart(
            title=f"{self.title}: {column.header}",
            description=f"{column.header} for each row of the table “{self.title}” beside "
            "this chart, which gives the same numbers.",
            rows=[
                (str(r.get("label", "")), r.get(column.key), column.show(r.get(column.key)))
                for r in self.rows
            ],
        )

    def csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out)
        # The CSV keeps durations in seconds (machine-readable), and says so in the header.
        writer.writerow(
            ["", *[c.header + (" (s)" if c.show is fmt.seconds else "") for c in self.columns]]
        )
        for row in self.rows:
            writer.writerow([row.get("label", ""), *[_raw(row.get(c.key)) for c in self.columns]])
        return out.getvalue()


def _raw(value: Any) -> Any:
    if isinstance(value, float):
        return f"{value:.3f}"
    return "" if value is None else value


# Two figures that used to share the word "abandoned" (issue 15): the queue figure counts
# chats that ended before anyone accepted them, whoever ended them; the outcome "Abandoned:
# resident gone" says the system closed a chat because the resident's page was gone too long
# (answered or not). Both pages say so beside the figures, in these words.
TERMS = (
    (
        "Left the queue unanswered",
        "chats that ended before an operator accepted them, whoever ended them (the resident, "
        "the quick exit, or the system).",
    ),
    (
        "Abandoned (resident gone)",
        "an outcome: the system closed the chat because the resident's page had been closed "
        'for longer than the council\'s "abandoned after" setting, whether or not an '
        "operator had answered. A chat can count in both.",
    ),
)

SERVICE = [
    Column("Offered", "offered"),
    Column("Answered", "answered"),
    Column("Missed", "missed"),
    Column("Left the queue unanswered", "left_in_queue"),
    Column("Wait p50", "wait_p50", fmt.seconds),
    Column("Wait p90", "wait_p90", fmt.seconds),
    Column("First response p50", "first_response_p50", fmt.seconds),
    Column("Handle time mean", "handle_mean", fmt.seconds),
    Column("Mean rating", "rating_mean", fmt.decimal),
    Column("Rated 4 or 5", "share_4_or_5", fmt.share),
]
BY_TIME = [
    Column("Offered", "offered"),
    Column("Answered", "answered"),
    Column("Missed", "missed"),
    Column("Wait p50", "wait_p50", fmt.seconds),
]
OPERATORS = [
    Column("Answered", "answered"),
    Column("Chats per busy hour", "chats_per_busy_hour", fmt.decimal),
    Column("Concurrency", "concurrency", fmt.decimal),
    Column("First response p50", "first_response_p50", fmt.seconds),
    Column("Handle time mean", "handle_mean", fmt.seconds),
    Column("Mean rating", "rating_mean", fmt.decimal),
    Column("Rated 4 or 5", "share_4_or_5", fmt.share),
]


def council_tables(report) -> list[Table]:
    return [
        Table("by_department", "By department", "Service levels per department.",
              report.by_department, SERVICE, "offered"),
        Table("by_operator", "By operator", "What each operator answered, and how busy.",
              report.by_operator, OPERATORS, "answered"),
        Table("by_channel", "By channel", "Web chat, Messenger, WhatsApp and the assistant.",
              report.by_channel, SERVICE, "offered"),
        Table("by_language", "By language", "English and Welsh chats side by side.",
              report.by_language, SERVICE, "offered"),
        Table("by_hour", "By hour of day (UK time)", "When chats start.",
              report.by_hour, BY_TIME, "offered"),
        Table("by_weekday", "By day of the week", "Which days are busiest.",
              report.by_weekday, BY_TIME, "offered"),
        Table("outcomes", "Outcomes",
              "How ended chats ended: the operator's wrap-up, or how the resident or system did "
              "(\"Abandoned (resident gone)\" is the system closing a chat whose resident's page "
              "was gone too long; it is not the summary's \"Left the queue unanswered\").",
              report.outcomes, [Column("Chats", "chats")], "chats"),
        Table("ratings", "Ratings", "How residents rated their chats.",
              report.ratings, [Column("Chats", "chats")], "chats"),
        Table("enquiries", "Out-of-hours enquiries", "Contact details left while chat was closed.",
              report.enquiries, [Column("Enquiries", "enquiries")], "enquiries"),
        Table("tags", "By tag", "Chats with each of the council's tags (a chat may have several).",
              report.tags, [Column("Chats", "chats")], "chats"),
    ]  # fmt: skip


def summary_items(summary: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(label, value, test id) for the headline list."""
    return [
        ("Chats offered", fmt.count(summary["offered"]), "offered"),
        ("Answered", fmt.count(summary["answered"]), "answered"),
        ("Answered (share of offered)", fmt.share(summary.get("answered_share")), "answered-share"),
        ("Missed", fmt.count(summary["missed"]), "missed"),
        ("Left the queue unanswered", fmt.count(summary["left_in_queue"]), "left-in-queue"),
        ("Handled by the assistant", fmt.count(summary["chats"] - summary["offered"]), "assistant"),
        ("Wait, median", fmt.seconds(summary["wait_p50"]), "wait-p50"),
        ("Wait, 90th percentile", fmt.seconds(summary["wait_p90"]), "wait-p90"),
        ("First response, median", fmt.seconds(summary["first_response_p50"]), "frt-p50"),
        (
            "First response, 90th percentile",
            fmt.seconds(summary["first_response_p90"]),
            "frt-p90",
        ),
        ("Handle time, mean", fmt.seconds(summary["handle_mean"]), "handle-mean"),
        ("Handle time, median", fmt.seconds(summary["handle_p50"]), "handle-p50"),
        (
            "Chats per operator per busy hour",
            fmt.decimal(summary.get("chats_per_busy_hour")),
            "per-hour",
        ),
        (
            "Concurrency (chats at once while busy)",
            fmt.decimal(summary.get("concurrency")),
            "concurrency",
        ),
        ("Mean rating (of rated chats)", fmt.decimal(summary["rating_mean"]), "rating-mean"),
        ("Rated 4 or 5", fmt.share(summary.get("share_4_or_5")), "rated-4-5"),
        ("Rated chats", fmt.count(summary["rated"]), "rated"),
        ("Out-of-hours enquiries", fmt.count(summary.get("enquiries")), "enquiries"),
        (
            "Transferred to another council",
            fmt.count(summary.get("transferred_out")),
            "transferred-out",
        ),
    ]


def parse_period(params, today: date | None = None) -> tuple[Period, str]:
    """The requested range, or the last 30 days and a message saying why not."""
    today = today or timezone.localtime(timezone.now(), LONDON).date()
    default = Period(today - timedelta(days=29), today)
    raw_from, raw_to = params.get("from", ""), params.get("to", "")
    if not raw_from and not raw_to:
        return default, ""
    try:
        first = datetime.strptime(str(raw_from), "%Y-%m-%d").date()
        last = datetime.strptime(str(raw_to), "%Y-%m-%d").date()
    except ValueError:
        return default, "Dates must be given as YYYY-MM-DD; showing the last 30 days."
    # Beyond these the range holds no chats, and near year 9999 the day after `last` (the
    # period's end) does not exist in Python: a clear message, never a 500.
    earliest, latest = EARLIEST, today + timedelta(days=366)
    if not (earliest <= first <= latest and earliest <= last <= latest):
        return default, (
            f"Choose dates between {earliest:%Y-%m-%d} and {latest:%Y-%m-%d};"
            " showing the last 30 days."
        )
    if last < first:
        return default, "The end date is before the start date; showing the last 30 days."
    if (last - first).days >= MAX_DAYS:
        return default, f"Choose at most {MAX_DAYS} days; showing the last 30 days."
    return Period(first, last), ""


def _csv_response(table: Table, name: str) -> HttpResponse:
    response = HttpResponse(table.csv(), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{name}-{table.slug}.csv"'
    return response


def council_report_view(request, site, permission: str):
    """GET: the page; `?csv=<table>`: that table as CSV (audited as an export)."""
    from privacy import audit

    if not request.user.has_perm(permission):
        raise PermissionDenied
    period, problem = parse_period(request.GET)
    report = council_report(period)
    tables = council_tables(report)
    wanted = request.GET.get("csv")
    if wanted:
        table = next((t for t in tables if t.slug == wanted), None)
        if table is None and wanted == "summary":
            table = Table(
                "summary",
                "Summary",
                "",
                [
                    {"label": label, "value": value}
                    for label, value, _ in summary_items(report.summary)
                ],
                [Column("Value", "value", str)],
            )
        if table is not None:
            audit.record(
                actor=audit.Actor.of_user(request.user, source="admin"),
                action=audit.Action.EXPORTED,
                object_type="report",
                detail={"table": table.slug, "from": str(period.first), "to": str(period.last)},
            )
            return _csv_response(table, f"report-{period.first}-{period.last}")
    context = {
        **site.each_context(request),
        "title": "Reports",
        "period": period,
        "problem": problem,
        "summary": summary_items(report.summary),
        "terms": TERMS,
        "tables": [(t, t.chart()) for t in tables],
        "query": f"from={period.first}&to={period.last}",
    }
    return TemplateResponse(request, "reports/council_report.html", context)


# The council report's service figures, with each member council's chat count first.
PARTNERSHIP = [Column("Chats", "chats"), *SERVICE]


def partnership_report_view(request, site):
    """The partnership managers' report: per member council, aggregates only."""
    from django_tenants.utils import schema_exists

    from councils.models import Partnership

    if not request.user.is_staff:
        raise PermissionDenied
    period, problem = parse_period(request.GET)
    partnerships = list(Partnership.objects.order_by("name"))
    chosen = next(
        (p for p in partnerships if p.slug == request.GET.get("partnership")),
        partnerships[0] if partnerships else None,
    )
    members = []
    if chosen is not None:
        members = [
            (c.name, c.schema_name)
            for c in chosen.councils.order_by("name")
            if schema_exists(c.schema_name)
        ]
    per_council, total = partnership_report(period, members)
    rows = per_council + ([total] if total else [])
    table = Table(
        "partnership",
        f"{chosen.name if chosen else 'Partnership'}: member councils",
        "Headline figures per member council, and for the partnership as a whole.",
        rows,
        PARTNERSHIP,
        None,
    )
    chart_table = Table(
        table.slug, table.title, table.description, per_council, PARTNERSHIP, "offered"
    )
    if request.GET.get("csv") == "partnership":
        return _csv_response(table, f"partnership-{period.first}-{period.last}")
    context = {
        **site.each_context(request),
        "title": "Partnership report",
        "period": period,
        "problem": problem,
        "partnerships": partnerships,
        "chosen": chosen,
        "table": table,
        "chart": chart_table.chart(),
        "terms": TERMS[:1],
        "query": f"from={period.first}&to={period.last}"
        + (f"&partnership={chosen.slug}" if chosen else ""),
    }
    return TemplateResponse(request, "reports/partnership_report.html", context)
