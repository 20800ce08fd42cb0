"""Contact-centre figures, computed exactly in PostgreSQL over the conversation rows.

Definitions (docs/reports.md explains them for managers):
- A chat belongs to the period in which it started (`created_at`, UK time for dates, hours
  and weekdays).
- Channel: web, messenger, whatsapp; "assistant" for chats the council's assistant has
  (status bot) or handled alone (never accepted by an operator, with a bot message).
- Offered: chats that reached the operators' queue (every chat but the assistant's).
- Answered: taken by an operator (`answered_at`, the first time). Missed: marked missed
  after waiting too long. Left the queue unanswered (`left_in_queue`): ended before anyone
  answered them (and not the assistant's), whoever ended them. Not to be confused with the
  outcome `abandoned` ("Abandoned (resident gone)"), which says why a chat ended, answered
  or not; a chat can count in both. Waiting: still queued.
- Wait: queue to the first answer (`answered_at - answered_queued_at`), answered chats only.
- First response: chat start to the chat's first operator message (`first_reply_at -
  created_at`).
- Handle time: first answer to end (`ended_at - answered_at`), answered and ended chats.
  These three are the resident's: a transfer or a requeue later does not move them (it moves
  `accepted_at`, `first_response_at` and `queued_at`, the current operator's times).
- A chat transferred within the council counts for the department and operator it ended
  with; one transferred to another council moved there and counts there ("transferred out"
  here).
- Per operator: chats per busy hour (hours with at least one chat open) and concurrency
  (open-chat time divided by busy time: the mean number of chats at once while busy).
- Satisfaction: mean rating and share of ratings that are 4 or 5, over rated chats only.

Percentiles are PostgreSQL's `percentile_cont` (linear interpolation). All functions run in
the current council's schema unless given `schemas` (the partnership report).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection, transaction

LONDON = ZoneInfo("Europe/London")
CHANNELS = ["web", "messenger", "whatsapp", "assistant"]
# Sorting for the percentiles stays in memory (measured: 4 MB spilled to disk at 100k chats).
WORK_MEM = "64MB"
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


@dataclass(frozen=True)
class Period:
    """From the start of `first` to the end of `last` (UK dates, inclusive)."""

    first: date
    last: date

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time.min, tzinfo=LONDON)

    @property
    def end(self) -> datetime:
        return datetime.combine(self.last + timedelta(days=1), time.min, tzinfo=LONDON)


# One row per chat in the period, with its report channel. `{conversation}` and `{message}`
# are table names (schema-qualified for the partnership report); `{council}` a label.
_CHATS = """
SELECT {council} AS council, c.id, c.status, c.department_id, c.operator_id, c.language,
       c.created_at, c.accepted_at, c.answered_at, c.ended_at, c.rating, c.outcome,
       date_part('epoch', c.answered_at - c.answered_queued_at) AS wait_s,
       date_part('epoch', c.first_reply_at - c.created_at) AS first_response_s,
       date_part('epoch', c.ended_at - c.answered_at) AS handle_s,
       -- the part the operator it ended with had it (their load and concurrency)
       date_part('epoch', c.ended_at - c.accepted_at) AS held_s,
       extract(hour FROM c.created_at AT TIME ZONE 'Europe/London')::int AS local_hour,
       extract(isodow FROM c.created_at AT TIME ZONE 'Europe/London')::int AS local_weekday,
       CASE WHEN c.status = 'bot' THEN 'assistant'
            -- only unanswered chats are looked up, in the small partial index of the
            -- assistant's messages (chat.Message, message_bot_idx)
            WHEN c.answered_at IS NULL AND EXISTS (
                 SELECT 1 FROM {message} AS m
                  WHERE m.conversation_id = c.id AND m.author = 'bot') THEN 'assistant'
            ELSE c.channel END AS channel
  FROM {conversation} AS c
 WHERE c.created_at >= %(start)s AND c.created_at < %(end)s
"""

# Durations are float seconds (date_part), which sort far faster than numeric; percentiles
# ignore NULLs (chats never answered have no wait), and one sort serves p50 and p90.
_MEASURES = """
count(*) AS chats,
count(*) FILTER (WHERE channel <> 'assistant') AS offered,
count(*) FILTER (WHERE answered_at IS NOT NULL) AS answered,
count(*) FILTER (WHERE status = 'missed') AS missed,
count(*) FILTER (WHERE answered_at IS NULL AND status = 'ended' AND channel <> 'assistant')
    AS left_in_queue,
count(*) FILTER (WHERE status = 'queued') AS waiting,
percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY wait_s) AS wait_p,
percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY first_response_s) AS first_response_p,
avg(handle_s) AS handle_mean,
percentile_cont(0.5) WITHIN GROUP (ORDER BY handle_s) AS handle_p50,
count(rating) AS rated,
avg(rating) AS rating_mean,
count(*) FILTER (WHERE rating >= 4) AS rated_4_or_5
"""
# For the hour and weekday tables: counts and the median wait only (the same columns).
_MEASURES_LIGHT = """
count(*) AS chats,
count(*) FILTER (WHERE channel <> 'assistant') AS offered,
count(*) FILTER (WHERE answered_at IS NOT NULL) AS answered,
count(*) FILTER (WHERE status = 'missed') AS missed,
count(*) FILTER (WHERE answered_at IS NULL AND status = 'ended' AND channel <> 'assistant')
    AS left_in_queue,
count(*) FILTER (WHERE status = 'queued') AS waiting,
percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY wait_s) AS wait_p,
NULL::float8[] AS first_response_p, NULL::float8 AS handle_mean, NULL::float8 AS handle_p50,
0 AS rated, NULL::float8 AS rating_mean, 0 AS rated_4_or_5
"""
SQL_COLUMNS = [
    "chats", "offered", "answered", "missed", "left_in_queue", "waiting", "wait_p",
    "first_response_p", "handle_mean", "handle_p50", "rated", "rating_mean", "rated_4_or_5",
]  # fmt: skip
MEASURE_COLUMNS = [
    "chats", "offered", "answered", "missed", "left_in_queue", "waiting", "wait_p50", "wait_p90",
    "first_response_p50", "first_response_p90", "handle_mean", "handle_p50", "rated",
    "rating_mean", "rated_4_or_5",
]  # fmt: skip

# Per operator: chats, open-chat time, and busy time (the union of their chats' intervals,
# by gaps and islands), for chats per busy hour and concurrency.
_OPERATOR_LOAD = """
, iv AS (  -- follows `WITH chats AS (...)`
    SELECT operator_id, accepted_at AS s, ended_at AS e, held_s FROM chats
     WHERE operator_id IS NOT NULL AND accepted_at IS NOT NULL
       AND ended_at IS NOT NULL AND ended_at > accepted_at
), marked AS (
    SELECT operator_id, s, e,
           max(e) OVER (PARTITION BY operator_id ORDER BY s, e
                        ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_end
      FROM iv
), islands AS (
    SELECT operator_id, s, e,
           sum(CASE WHEN prev_end IS NULL OR s > prev_end THEN 1 ELSE 0 END)
               OVER (PARTITION BY operator_id ORDER BY s, e) AS island
      FROM marked
), spans AS (
    SELECT operator_id, min(s) AS s, max(e) AS e FROM islands GROUP BY operator_id, island
)
SELECT i.operator_id, i.handled, i.open_seconds, b.busy_seconds
  FROM (SELECT operator_id, count(*) AS handled,
               sum(held_s) AS open_seconds
          FROM iv GROUP BY operator_id) AS i
  JOIN (SELECT operator_id, sum(date_part('epoch', e - s)) AS busy_seconds
          FROM spans GROUP BY operator_id) AS b USING (operator_id)
"""


def _num(value: Any) -> float | int | None:
    if value is None:
        return None
    if isinstance(value, int):
        return value
    return float(value)


def _row(key: Any, values: Sequence[Any]) -> dict[str, Any]:
    """A result row of _MEASURES as named figures (the p50/p90 arrays split)."""
    row: dict[str, Any] = {"key": key}
    for name, value in zip(SQL_COLUMNS, values, strict=True):
        if name.endswith("_p"):
            row[f"{name}50"], row[f"{name}90"] = (
                (_num(value[0]), _num(value[1])) if value else (None, None)
            )
        else:
            row[name] = _num(value)
    return row


def _chats_sql(schemas: Sequence[tuple[str, str]] | None) -> tuple[str, dict[str, Any]]:
    """The `chats` CTE body and its parameters: this schema, or a UNION ALL over
    (label, schema) pairs (schema names are quoted identifiers, labels parameters)."""
    if not schemas:
        sql = _CHATS.format(council="''", conversation="chat_conversation", message="chat_message")
        return sql, {}
    parts, params = [], {}
    for index, (label, schema) in enumerate(schemas):
        quoted = connection.ops.quote_name(schema)
        params[f"council_{index}"] = label
        parts.append(
            _CHATS.format(
                council=f"%(council_{index})s::text",
                conversation=f"{quoted}.chat_conversation",
                message=f"{quoted}.chat_message",
            )
        )
    return " UNION ALL ".join(parts), params


_materialized: ContextVar[bool] = ContextVar("report_chats_materialized", default=False)


@contextmanager
def _chats_table(period: Period) -> Iterator[None]:
    """For the block: the period's chats in a temporary table (one transaction), which every
    `_run` then reads instead of recomputing them (the channel needs a subquery per chat)."""
    chats, params = _chats_sql(None)
    with transaction.atomic(), connection.cursor() as cursor:
        _tune(cursor)
        cursor.execute(
            f"CREATE TEMPORARY TABLE report_chats ON COMMIT DROP AS {chats}",
            {"start": period.start, "end": period.end, **params},
        )
        token = _materialized.set(True)
        try:
            yield
        finally:
            _materialized.reset(token)


def _tune(cursor) -> None:
    # The subquery's cost estimate makes PostgreSQL JIT-compile these statements, which took
    # longer than running them, and the percentiles' sorts spilled to disk at 4 MB
    # (bench/reports_bench.py): both changed for this transaction only.
    cursor.execute("SET LOCAL jit = off")
    cursor.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")


def _run(period: Period, body: str, schemas=None) -> list[tuple]:
    """`WITH chats AS (...) <body>` for the period."""
    if _materialized.get() and not schemas:
        chats, params, how = "SELECT * FROM report_chats", {}, ""
    else:
        # MATERIALIZED: each chat's channel (a subquery for unanswered chats) is worked out
        # once, however many times the body reads `chats`.
        (chats, params), how = _chats_sql(schemas), "MATERIALIZED"
    sql = f"WITH chats AS {how} ({chats}) {body}"
    with transaction.atomic(), connection.cursor() as cursor:
        _tune(cursor)
        cursor.execute(sql, {"start": period.start, "end": period.end, **params})
        return cursor.fetchall()


def _grouped(period: Period, key_sql: str, *, schemas=None) -> list[dict[str, Any]]:
    # `key_sql` is one of this module's fixed expressions.
    body = f"SELECT {key_sql} AS key, {_MEASURES} FROM chats GROUP BY 1 ORDER BY 1"  # noqa: S608
    return [_row(row[0], row[1:]) for row in _run(period, body, schemas)]


# The council report's breakdowns, read in one pass over the chats (GROUPING SETS).
DIMENSIONS = {
    "department": "department_id",
    "operator": "operator_id",
    "channel": "channel",
    "language": "language",
    "hour": "local_hour",
    "weekday": "local_weekday",
}


def _grouped_sets(
    period: Period, names: Sequence[str], measures: str = _MEASURES
) -> dict[str, list[dict[str, Any]]]:
    """{"all": [row], name: rows, ...}: the whole and each breakdown in one statement."""
    keyed = ", ".join(f"{DIMENSIONS[name]} AS d_{name}" for name in names)
    flags = ", ".join(f"GROUPING(d_{name})" for name in names)
    sets = ", ".join(["()", *[f"(d_{name})" for name in names]])
    body = (
        f", keyed AS (SELECT chats.*, {keyed} FROM chats) "  # noqa: S608 - fixed fragments
        f"SELECT {flags}, {', '.join('d_' + n for n in names)}, {measures} FROM keyed "
        f"GROUP BY GROUPING SETS ({sets})"
    )
    result: dict[str, list[dict[str, Any]]] = {"all": [], **{name: [] for name in names}}
    width = len(names)
    for row in _run(period, body):
        grouped = [name for name, flag in zip(names, row[:width], strict=True) if flag == 0]
        which = grouped[0] if grouped else "all"
        key = row[width + names.index(which)] if grouped else 1
        result[which].append(_row(key, row[2 * width :]))
    for rows in result.values():
        rows.sort(key=lambda r: (r["key"] is None, r["key"]))
    return result


@dataclass
class CouncilReport:
    period: Period
    summary: dict[str, Any]
    by_department: list[dict[str, Any]]
    by_operator: list[dict[str, Any]]
    by_channel: list[dict[str, Any]]
    by_language: list[dict[str, Any]]
    by_hour: list[dict[str, Any]]
    by_weekday: list[dict[str, Any]]
    outcomes: list[dict[str, Any]]
    ratings: list[dict[str, Any]]
    enquiries: list[dict[str, Any]]
    transferred_out: int
    extra: dict[str, Any] = field(default_factory=dict)
    # Chats per tag (issue 15, point 8): a chat with two tags counts under each.
    tags: list[dict[str, Any]] = field(default_factory=list)


def _with_shares(row: dict[str, Any]) -> dict[str, Any]:
    rated = row.get("rated") or 0
    row["share_4_or_5"] = (row["rated_4_or_5"] / rated) if rated else None
    offered = row.get("offered") or 0
    row["answered_share"] = (row["answered"] / offered) if offered else None
    return row


def _fill(rows: list[dict[str, Any]], keys: Sequence[Any], labels: Sequence[str]):
    """Every key in order (hours, weekdays, channels), zero rows where nothing happened."""
    by_key = {row["key"]: row for row in rows}
    empty = dict.fromkeys(MEASURE_COLUMNS, 0) | {
        name: None for name in MEASURE_COLUMNS if name.endswith(("_p50", "_p90", "_mean"))
    }
    filled = []
    for key, label in zip(keys, labels, strict=True):
        row = by_key.get(key) or {"key": key, **empty}
        filled.append(_with_shares({**row, "label": label}))
    return filled


def council_report(period: Period) -> CouncilReport:
    """Every figure of the council report for `period`. Call in the council's schema."""

    with _chats_table(period):
        return _council_report(period)


def _council_report(period: Period) -> CouncilReport:
    from chat.models import Conversation, ConversationTransfer, Enquiry
    from routing.models import Department

    sets = _grouped_sets(period, ["department", "operator", "channel", "language"])
    light = _grouped_sets(period, ["hour", "weekday"], _MEASURES_LIGHT)
    sets["hour"], sets["weekday"] = light["hour"], light["weekday"]
    (summary,) = _fill(sets["all"], [1], ["All chats"])
    departments = dict(Department.objects.values_list("id", "name"))
    by_department = [
        _with_shares({**row, "label": departments.get(row["key"], "No department")})
        for row in sets["department"]
    ]
    by_department.sort(key=lambda r: (r["key"] is None, r["label"]))
    by_channel = _fill(
        sets["channel"],
        CHANNELS,
        ["Web chat", "Facebook Messenger", "WhatsApp", "Assistant"],
    )
    languages = dict(Conversation.Language.choices)
    by_language = [
        _with_shares({**row, "label": languages.get(row["key"], row["key"])})
        for row in sets["language"]
    ]
    by_hour = _fill(
        sets["hour"],
        list(range(24)),
        [f"{h:02d}:00" for h in range(24)],
    )
    by_weekday = _fill(
        sets["weekday"],
        list(range(1, 8)),
        WEEKDAYS,
    )
    by_operator = _operators(period, sets["operator"])
    outcome_labels = dict(Conversation.Outcome.choices)
    outcomes = [
        {"key": key, "label": outcome_labels.get(key, "Not recorded"), "chats": n}
        for key, n in _run(
            period,
            "SELECT outcome, count(*) FROM chats WHERE status = 'ended' AND channel <> 'assistant'"
            " GROUP BY 1 ORDER BY 2 DESC, 1",
        )
    ]
    rating_counts = dict(
        _run(period, "SELECT rating, count(*) FROM chats WHERE rating IS NOT NULL GROUP BY 1")
    )
    tags = [  # issue 15, point 8: one join over the period's chats
        {"key": slug, "label": name, "chats": n}
        for slug, name, n in _run(
            period,
            "SELECT t.slug, t.name, count(*) FROM chats"
            " JOIN chat_tag_conversations AS tc ON tc.conversation_id = chats.id"
            " JOIN chat_tag AS t ON t.id = tc.tag_id"
            " GROUP BY t.id, t.slug, t.name, t.position ORDER BY t.position, t.name",
        )
    ]
    ratings = [
        {"key": score, "label": f"{score} out of 5", "chats": rating_counts.get(score, 0)}
        for score in range(5, 0, -1)
    ]
    reasons = dict(Enquiry.Reason.choices)
    enquiry_rows: dict[tuple[str, Any], int] = {}
    for reason, department_id in Enquiry.objects.filter(
        created_at__gte=period.start, created_at__lt=period.end
    ).values_list("reason", "department_id"):
        enquiry_rows[(reason, department_id)] = enquiry_rows.get((reason, department_id), 0) + 1
    enquiries = sorted(
        (
            {
                "key": f"{reason}:{department_id or ''}",
                "label": f"{departments.get(department_id, 'No department')}: "
                f"{reasons.get(reason, reason)}",
                "enquiries": n,
            }
            for (reason, department_id), n in enquiry_rows.items()
        ),
        key=lambda r: r["label"],
    )
    transferred_out = ConversationTransfer.objects.filter(
        direction=ConversationTransfer.Direction.OUT,
        created_at__gte=period.start,
        created_at__lt=period.end,
    ).count()
    summary["enquiries"] = sum(r["enquiries"] for r in enquiries)
    summary["transferred_out"] = transferred_out
    load = [r for r in by_operator if r["key"] is not None]
    busy = sum(r["busy_seconds"] or 0 for r in load)
    summary["chats_per_busy_hour"] = (
        sum(r["handled"] for r in load) / (busy / 3600) if busy else None
    )
    summary["concurrency"] = sum(r["open_seconds"] or 0 for r in load) / busy if busy else None
    return CouncilReport(
        period=period,
        summary=summary,
        by_department=by_department,
        by_operator=by_operator,
        by_channel=by_channel,
        by_language=by_language,
        by_hour=by_hour,
        by_weekday=by_weekday,
        outcomes=outcomes,
        ratings=ratings,
        enquiries=enquiries,
        transferred_out=transferred_out,
        tags=tags,
    )


def _operators(period: Period, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    from django.contrib.auth import get_user_model

    load = {
        r[0]: {"handled": r[1], "open_seconds": _num(r[2]), "busy_seconds": _num(r[3])}
        for r in _run(period, _OPERATOR_LOAD)
    }
    users = {
        u.pk: (u.get_full_name() or u.get_username())
        for u in get_user_model().objects.filter(pk__in=[r["key"] for r in rows if r["key"]])
    }
    result = []
    for row in rows:
        if row["key"] is None:
            continue  # never answered: no operator
        extra = load.get(row["key"], {"handled": 0, "open_seconds": 0, "busy_seconds": 0})
        busy = extra["busy_seconds"] or 0
        result.append(
            _with_shares(
                {
                    **row,
                    **extra,
                    "label": users.get(row["key"], f"User {row['key']}"),
                    "chats_per_busy_hour": extra["handled"] / (busy / 3600) if busy else None,
                    "concurrency": (extra["open_seconds"] or 0) / busy if busy else None,
                }
            )
        )
    result.sort(key=lambda r: r["label"])
    return result


def partnership_report(
    period: Period, councils: Sequence[tuple[str, str]]
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Per member council (label, schema): the headline figures; and the partnership as a
    whole (exact percentiles over all members' chats). Aggregates only: no personal data."""
    if not councils:
        return [], {}
    rows = _grouped(period, "council", schemas=councils)
    by_label = {row["key"]: row for row in rows}
    per_council = _fill(list(by_label.values()), [c[0] for c in councils], [c[0] for c in councils])
    (total,) = _fill(_grouped(period, "1", schemas=councils), [1], ["All member councils"])
    return per_council, total
