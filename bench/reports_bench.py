"""Reports and nightly retention over one big council: 100,000 conversations and 1,000,000
messages, generated with SQL `generate_series` in a few seconds.

    python -m bench.reports_bench [--conversations 100000] [--messages-per-chat 10] [--keep]

Uses its own database (`<name of DATABASE_URL>_bench_reports`, dropped and created here).
Measures, in the same run:
- the council report page (`GET /admin/report/` over every chat, through Django's test
  client: middleware, the SQL, the SVG charts and the template), p50 and p99 of N requests,
  against a plain `SELECT count(*)` over chat_conversation and chat_message;
- nightly retention (`apply_retention`) over the same data (about a third is past 12
  months): total time, batches, the longest batch (the longest any row lock is held), and
  meanwhile a probe that keeps writing to a live chat the way the message path does (bump
  the conversation row, insert a message) and records its slowest write.
Results: bench/results/reports.json and reports.md (docs/reports.md quotes them).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import threading
import time
from pathlib import Path

from bench.own_database import run_in_own_database

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
HOST = "bench.localhost"
SPACING_MINUTES = 7.5  # 100,000 chats over 520 days: about 30% are past 12 months


def log(message: str) -> None:
    print(f"[reports-bench] {message}", flush=True)


def percentiles(values: list[float]) -> dict:
    ordered = sorted(values)

    def pick(q: float) -> float:
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]

    return {
        "n": len(values),
        "p50_ms": round(statistics.median(ordered) * 1000, 1),
        "p99_ms": round(pick(0.99) * 1000, 1),
        "max_ms": round(ordered[-1] * 1000, 1),
    }


GENERATE = """
INSERT INTO chat_visitor (id, name, email, created_at)
SELECT md5('v' || g)::uuid, 'Resident ' || g, 'resident' || g || '@example.org',
       %(start)s + g * interval '{spacing} minutes'
  FROM generate_series(1, %(n)s) AS g;

INSERT INTO chat_conversation
       (id, visitor_id, status, channel, department_id, operator_id, page_url, prechat,
        language, routed_by, priority, queued_at, first_response_at, last_seq, created_at,
        accepted_at, ended_at, last_message_at, ended_by, outcome, visitor_read_seq, rating,
        rating_comment, transcript_email, answered_at, answered_queued_at, first_reply_at)
SELECT md5('c' || g)::uuid, md5('v' || g)::uuid,
       CASE WHEN g > %(n)s - 20 THEN 'active' WHEN g %% 20 = 0 THEN 'missed' ELSE 'ended' END,
       (ARRAY['web', 'web', 'web', 'messenger', 'whatsapp'])[1 + g %% 5],
       (%(departments)s)[1 + g %% 3],
       CASE WHEN g %% 20 = 0 THEN NULL ELSE (%(operators)s)[1 + g %% 10] END,
       'https://www.example.gov.uk/page/' || (g %% 50),
       jsonb_build_object('email', 'resident' || g || '@example.org'),
       CASE WHEN g %% 7 = 0 THEN 'cy' ELSE 'en' END, '{{}}'::jsonb, 0,
       t, CASE WHEN g %% 20 = 0 THEN NULL ELSE t + (20 + g %% 90) * interval '1 second' END,
       %(per_chat)s, t,
       CASE WHEN g %% 20 = 0 THEN NULL ELSE t + (10 + g %% 120) * interval '1 second' END,
       CASE WHEN g > %(n)s - 20 THEN NULL ELSE t + (300 + g %% 900) * interval '1 second' END,
       t + 300 * interval '1 second', 'visitor',
       CASE WHEN g %% 20 = 0 THEN ''
            ELSE (ARRAY['resolved', 'referred', 'follow_up'])[1 + g %% 3] END,
       0, CASE WHEN g %% 3 = 0 THEN NULL ELSE 1 + g %% 5 END, 'Thanks from resident ' || g,
       'resident' || g || '@example.org',
       -- never transferred: the first answer and reply are the last (accepted, first response)
       CASE WHEN g %% 20 = 0 THEN NULL ELSE t + (10 + g %% 120) * interval '1 second' END,
       CASE WHEN g %% 20 = 0 THEN NULL ELSE t END,
       CASE WHEN g %% 20 = 0 THEN NULL ELSE t + (20 + g %% 90) * interval '1 second' END
  FROM (SELECT g, %(start)s + g * interval '{spacing} minutes' AS t
          FROM generate_series(1, %(n)s) AS g) AS s;

INSERT INTO chat_message
       (conversation_id, seq, author, author_name, body, created_at)
SELECT md5('c' || g)::uuid, m,
       CASE WHEN m %% 2 = 1 THEN 'visitor' ELSE 'operator' END,
       CASE WHEN m %% 2 = 1 THEN 'Resident ' || g ELSE 'Operator' END,
       'Message ' || m || ' of chat ' || g || ': my car was ticketed on the high street',
       %(start)s + g * interval '{spacing} minutes' + m * interval '20 seconds'
  FROM generate_series(1, %(n)s) AS g, generate_series(1, %(per_chat)s) AS m;
"""


def generate(schema: str, n: int, per_chat: int) -> dict:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.utils import timezone
    from django_tenants.utils import schema_context

    from routing.models import Department

    with schema_context(schema):
        departments = [
            Department.objects.get_or_create(slug=slug, defaults={"name": slug.title()})[0].pk
            for slug in ("parking", "highways", "waste")
        ]
        User = get_user_model()
        operators = [
            User.objects.get_or_create(username=f"op{i}", defaults={"first_name": f"Op{i}"})[0].pk
            for i in range(10)
        ]
        start = timezone.now() - dt.timedelta(minutes=SPACING_MINUTES * n)
        began = time.perf_counter()
        with connection.cursor() as cursor:
            for statement in GENERATE.format(spacing=SPACING_MINUTES).split(";\n\n"):
                cursor.execute(
                    statement,
                    {
                        "n": n,
                        "per_chat": per_chat,
                        "start": start,
                        "departments": departments,
                        "operators": operators,
                    },
                )
            # As autovacuum leaves a table in steady state (visibility map, hint bits, stats);
            # a report right after a bulk load would also pay for setting hint bits.
            cursor.execute("VACUUM ANALYZE chat_visitor, chat_conversation, chat_message")
            cursor.execute("SELECT count(*) FROM chat_message")
            messages = cursor.fetchone()[0]
        return {
            "seconds": round(time.perf_counter() - began, 1),
            "messages": messages,
            "first": start,
        }


def time_report(schema: str, first: dt.date, last: dt.date, runs: int) -> dict:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django_tenants.utils import schema_context

    from councils.onboarding import COUNCIL_ADMINS

    with schema_context(schema):
        from django.contrib.auth.models import Group

        admin, _ = get_user_model().objects.get_or_create(
            username="chief", defaults={"is_staff": True}
        )
        admin.groups.add(Group.objects.get(name=COUNCIL_ADMINS))
        client = Client(HTTP_HOST=HOST)
        client.force_login(admin)
    query = {"from": first.isoformat(), "to": last.isoformat()}
    page, count_conversations, count_messages = [], [], []
    # One of each first, not counted (imports, template loading, caches warm).
    assert client.get("/admin/report/", query).status_code == 200
    for _ in range(runs):
        began = time.perf_counter()
        response = client.get("/admin/report/", query)
        page.append(time.perf_counter() - began)
        assert response.status_code == 200
        with schema_context(schema), connection.cursor() as cursor:
            began = time.perf_counter()
            cursor.execute("SELECT count(*) FROM chat_conversation")
            cursor.fetchone()
            count_conversations.append(time.perf_counter() - began)
            began = time.perf_counter()
            cursor.execute("SELECT count(*) FROM chat_message")
            cursor.fetchone()
            count_messages.append(time.perf_counter() - began)
    body = response.content.decode()
    return {
        "page": percentiles(page),
        "count_conversations": percentiles(count_conversations),
        "count_messages": percentiles(count_messages),
        "page_bytes": len(body),
    }


class LiveChatProbe(threading.Thread):
    """Writes to a live (active) chat every 20 ms the way the message path does, on its own
    connection, and records how long each write took while retention runs."""

    def __init__(self, url: str, schema: str) -> None:
        super().__init__(daemon=True)
        self.url, self.schema = url, schema
        self.stop = threading.Event()
        self.latencies: list[float] = []

    def run(self) -> None:
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f'SET search_path TO "{self.schema}", public')
            (conversation_id,) = conn.execute(
                "SELECT id FROM chat_conversation WHERE status = 'active' LIMIT 1"
            ).fetchone()
            while not self.stop.is_set():
                began = time.perf_counter()
                with conn.transaction():
                    (seq,) = conn.execute(
                        "UPDATE chat_conversation SET last_seq = last_seq + 1,"
                        " last_message_at = now() WHERE id = %s RETURNING last_seq",
                        [conversation_id],
                    ).fetchone()
                    conn.execute(
                        "INSERT INTO chat_message (conversation_id, seq, author, author_name,"
                        " body, created_at) VALUES (%s, %s, 'visitor', 'Probe', 'hi', now())",
                        [conversation_id, seq],
                    )
                self.latencies.append(time.perf_counter() - began)
                time.sleep(0.02)


def time_retention(url: str, schema: str) -> dict:
    from django.utils import timezone
    from django_tenants.utils import schema_context

    from privacy.retention import apply_retention

    with schema_context(schema):
        began = time.perf_counter()
        dry = apply_retention(as_of=timezone.now(), dry_run=True)
        dry_s = time.perf_counter() - began
        log(f"dry run in {dry_s:.1f} s: {dry.counts}")
        probe = LiveChatProbe(url, schema)
        probe.start()
        time.sleep(0.5)
        began = time.perf_counter()
        result = apply_retention(as_of=timezone.now())
        total_s = time.perf_counter() - began
        time.sleep(0.5)
        probe.stop.set()
        probe.join()
    return {
        "dry_run_s": round(dry_s, 2),
        "total_s": round(total_s, 1),
        "counts": result.counts,
        "batches": result.batches,
        "longest_batch_ms": round(result.max_batch_seconds * 1000, 1),
        "live_chat_writes": percentiles(probe.latencies),
    }


def run(args, url: str) -> dict:
    from django.core.management import call_command
    from django.db import connection

    from councils.services import council_ensure

    call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)
    council, _ = council_ensure(name="Bench Council", slug="bench", hosts=[HOST])
    connection.set_schema_to_public()
    generated = generate(council.schema_name, args.conversations, args.messages_per_chat)
    log(
        f"generated {args.conversations} conversations and {generated['messages']} messages "
        f"in {generated['seconds']} s"
    )
    first = generated["first"].date()
    last = dt.date.today()
    report = time_report(council.schema_name, first, last, args.runs)
    report["load_average"] = [round(x, 1) for x in os.getloadavg()]  # 1, 5, 15 min
    log(
        f"report page p50 {report['page']['p50_ms']} ms, p99 {report['page']['p99_ms']} ms; "
        f"count(*) conversations p50 {report['count_conversations']['p50_ms']} ms, "
        f"messages p50 {report['count_messages']['p50_ms']} ms"
    )
    retention = time_retention(url, council.schema_name)
    log(
        f"retention {retention['total_s']} s in {retention['batches']} batches, longest "
        f"{retention['longest_batch_ms']} ms; live chat writes p99 "
        f"{retention['live_chat_writes']['p99_ms']} ms, max "
        f"{retention['live_chat_writes']['max_ms']} ms"
    )
    report_after = time_report(council.schema_name, first, last, max(3, args.runs // 4))
    return {
        "conversations": args.conversations,
        "messages": generated["messages"],
        "generate_s": generated["seconds"],
        "report": report,
        "retention": retention,
        "report_after_retention": report_after,
    }


def write_results(data: dict) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "reports.json").write_text(json.dumps(data, indent=2, default=str) + "\n")
    r, ret = data["report"], data["retention"]
    lines = [
        "# Reports and retention over one big council",
        "",
        f"Run {data['when']} on {data['machine']}; PostgreSQL at {data['database_host']}. "
        f"{data['conversations']:,} conversations and {data['messages']:,} messages in one "
        f"council, generated with generate_series in {data['generate_s']} s. Load average "
        f"while the page was timed: {r['load_average'][0]} (1 min) on "
        f"{os.cpu_count()} CPUs shared with other work: compare the page with count(*).",
        "",
        "| what | n | p50 ms | p99 ms | max ms |",
        "|---|---:|---:|---:|---:|",
        f"| report page, every chat (GET /admin/report/) | {r['page']['n']} | "
        f"{r['page']['p50_ms']} | {r['page']['p99_ms']} | {r['page']['max_ms']} |",
        f"| plain count(*) of chat_conversation | {r['count_conversations']['n']} | "
        f"{r['count_conversations']['p50_ms']} | {r['count_conversations']['p99_ms']} | "
        f"{r['count_conversations']['max_ms']} |",
        f"| plain count(*) of chat_message | {r['count_messages']['n']} | "
        f"{r['count_messages']['p50_ms']} | {r['count_messages']['p99_ms']} | "
        f"{r['count_messages']['max_ms']} |",
        f"| live-chat write during retention | {ret['live_chat_writes']['n']} | "
        f"{ret['live_chat_writes']['p50_ms']} | {ret['live_chat_writes']['p99_ms']} | "
        f"{ret['live_chat_writes']['max_ms']} |",
        "",
        f"Nightly retention: {ret['total_s']} s for {ret['counts']} in {ret['batches']} "
        f"batches; the longest batch (longest row-lock hold) {ret['longest_batch_ms']} ms; "
        f"dry run {ret['dry_run_s']} s. Report page after retention: p50 "
        f"{data['report_after_retention']['page']['p50_ms']} ms.",
    ]
    (RESULTS / "reports.md").write_text("\n".join(lines) + "\n")
    log(f"wrote {RESULTS / 'reports.json'} and reports.md")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--messages-per-chat", type=int, default=10)
    parser.add_argument("--runs", type=int, default=20, help="Report requests to time.")
    parser.add_argument("--keep", action="store_true", help="Keep the bench database.")
    args = parser.parse_args()

    data = run_in_own_database("bench_reports", lambda url: run(args, url), keep=args.keep, log=log)
    write_results(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
