"""Routing benchmark (issue 3): how long routing and assignment take, against a plain insert.

    python -m bench.routing_bench [--quick]

Needs DATABASE_URL and REDIS_URL (`make bench-routing` sources `.local/services.env`). Uses its
own database (`<name>_routing_bench`, recreated each run) and channel-layer prefix.

Figures, each with the single-row INSERT measured in the same run as its baseline:
- R1: deciding the council for one partnership chat with 1,000 rules (cached rules, the
  deciding rule last), per chat;
- R2: choosing and locking an operator among 200 online (one `assign_conversation`), per chat;
- R3: chats assigned per second by the dispatch path from 1, 2 and 4 processes at once,
  with 200 operators online; checks afterwards that nobody exceeded their capacity.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"


def bench_database_url() -> str:
    url = urlsplit(os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/councilchat"))
    name = url.path.lstrip("/") or "councilchat"
    if not name.endswith("_routing_bench"):  # child processes inherit the bench URL already
        name += "_routing_bench"
    return urlunsplit(url._replace(path="/" + name))


def recreate_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    admin = urlunsplit(parts._replace(path="/postgres"))
    name = parts.path.lstrip("/")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def setup_django() -> None:
    os.environ["DATABASE_URL"] = bench_database_url()
    os.environ.setdefault("CHANNEL_LAYER_PREFIX", "ccroutingbench")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("SECRET_KEY", "routing-bench-only-not-secret-0123456789")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def say(text: str) -> None:
    print(f"[routing-bench] {text}", flush=True)


def timed(fn, repeat: int) -> list[float]:
    """Milliseconds per call."""
    out = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        out.append((time.perf_counter() - started) * 1000)
    return out


def summary(samples: list[float]) -> dict:
    ordered = sorted(samples)
    return {
        "n": len(samples),
        "p50_ms": round(statistics.median(ordered), 3),
        "p99_ms": round(ordered[max(0, int(len(ordered) * 0.99) - 1)], 3),
        "mean_ms": round(statistics.fmean(ordered), 3),
    }


def build(rules: int, operators: int) -> dict:
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone
    from django_tenants.utils import schema_context

    from councils.models import PartnershipService, PostcodeDistrict, RoutingRule
    from councils.services import council_ensure, partnership_ensure
    from councils.sites import clear_site_cache, site_for_host
    from routing.models import ConsoleSocket, OperatorPresence, RoutingSettings
    from tests.factories import UserFactory

    call_command("migrate_schemas", "--shared", verbosity=0)
    partnership = partnership_ensure(name="Bench", slug="bench", domain="bench.localhost")
    county, _ = council_ensure(
        name="County", slug="county", hosts=["county.localhost"], partnership=partnership
    )
    district, _ = council_ensure(
        name="District", slug="district", hosts=["district.localhost"], partnership=partnership
    )
    connection.set_schema_to_public()
    waste = PartnershipService.objects.create(partnership=partnership, slug="waste", name="Waste")
    PostcodeDistrict.objects.create(partnership=partnership, outward_code="DT1", council=district)
    RoutingRule.objects.bulk_create(
        RoutingRule(
            partnership=partnership,
            position=i,
            kind="page",
            page_pattern=f"/section-{i}/",
            council=county,
        )
        for i in range(rules - 1)
    )
    RoutingRule.objects.create(
        partnership=partnership, position=rules, kind="service_postcode", service=waste
    )
    with schema_context(district.schema_name):
        RoutingSettings.objects.update_or_create(pk=1, defaults={"max_chats_per_operator": 3})
        now = timezone.now()
        for n in range(operators):
            user = UserFactory(username=f"op{n}")
            OperatorPresence.objects.update_or_create(
                user=user, defaults={"status": "online", "last_seen": now}
            )
            ConsoleSocket.objects.update_or_create(
                channel_name=f"bench-console-{user.id}",
                defaults={"user": user, "beat_at": now + timedelta(days=1)},  # the run
            )
    clear_site_cache()
    site = site_for_host("bench.localhost")
    return {"site": site, "district": site.partnership.member("district")}


def r1_route(site, repeat: int) -> dict:
    from councils.partnership_routing import RouteRequest, partnership_rules, route_chat
    from routing.postcodes import parse_postcode

    rules = partnership_rules(site.partnership.id)
    request = RouteRequest(
        service="waste",
        postcode=parse_postcode("DT1 1XJ"),
        page_url="https://bench.example/elsewhere",
    )
    decision = route_chat(site.partnership, rules, request)
    assert decision is not None and decision.council.slug == "district"
    return summary(timed(lambda: route_chat(site.partnership, rules, request), repeat))


def insert_baseline(council, repeat: int) -> dict:
    from django_tenants.utils import schema_context

    from chat.models import Visitor

    with schema_context(council.schema_name):
        return summary(timed(lambda: Visitor.objects.create(name="baseline"), repeat))


def new_chats(council, count: int) -> None:
    from django_tenants.utils import schema_context

    from chat.actions.lifecycle import conversation_start

    with schema_context(council.schema_name):
        for _ in range(count):
            conversation_start(council=council, name="Bench", message="bins", department=None)


def refresh_presence(council) -> None:
    """Operators stay "online" only while their consoles beat; stand in for the beat."""
    from django.utils import timezone
    from django_tenants.utils import schema_context

    from routing.models import ConsoleSocket, OperatorPresence

    with schema_context(council.schema_name):
        OperatorPresence.objects.update(status="online", last_seen=timezone.now())
        ConsoleSocket.objects.update(beat_at=timezone.now())


def r2_assign(council, repeat: int) -> dict:
    from django_tenants.utils import schema_context

    from chat.actions.assignment import assign_conversation
    from chat.models import Conversation

    new_chats(council, repeat)
    refresh_presence(council)
    with schema_context(council.schema_name):
        ids = list(Conversation.objects.filter(status="queued").values_list("id", flat=True))
        samples = []
        for cid in ids[:repeat]:
            started = time.perf_counter()
            assert assign_conversation(council=council, conversation_id=cid) is not None
            samples.append((time.perf_counter() - started) * 1000)
        Conversation.objects.filter(status="active").update(status="ended")
    return summary(samples)


def _dispatcher(council, deadline: float, counter) -> None:
    setup_django()
    from django.db import connection
    from django_tenants.utils import schema_context

    from chat.actions.assignment import dispatch_queue

    with schema_context(council.schema_name):
        while time.monotonic() < deadline:
            done = dispatch_queue(council=council)
            with counter.get_lock():
                counter.value += done
            if done == 0:
                break
    connection.close()


def r3_throughput(council, processes: int, chats: int) -> dict:
    from django_tenants.utils import schema_context

    from chat.models import Conversation

    new_chats(council, chats)
    refresh_presence(council)
    counter = mp.get_context("spawn").Value("i", 0)
    ctx = mp.get_context("spawn")
    deadline = time.monotonic() + 120
    workers = [
        ctx.Process(target=_dispatcher, args=(council, deadline, counter)) for _ in range(processes)
    ]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(150)
    elapsed = time.perf_counter() - started
    with schema_context(council.schema_name):
        loads = {}
        for uid in Conversation.objects.filter(status="active").values_list(
            "operator_id", flat=True
        ):
            loads[uid] = loads.get(uid, 0) + 1
        assigned = sum(loads.values())
        over = sum(1 for n in loads.values() if n > 3)
        Conversation.objects.filter(status__in=["active", "queued"]).update(status="ended")
    return {
        "processes": processes,
        "assigned": assigned,
        "seconds": round(elapsed, 2),
        "chats_per_s": round(assigned / elapsed, 1),
        "operators_over_capacity": over,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", default=bool(os.environ.get("BENCH_QUICK")))
    args = parser.parse_args()
    rules, operators = 1000, 200
    repeat = 200 if args.quick else 2000
    recreate_database(bench_database_url())
    setup_django()
    say("building the bench partnership")
    world = build(rules, operators)
    district = world["district"]
    say("baseline: single INSERTs")
    baseline = insert_baseline(district, repeat)
    say("R1: routing decisions")
    r1 = r1_route(world["site"], repeat)
    say("R2: single assignments")
    r2 = r2_assign(district, 100 if args.quick else 300)
    r3 = []
    for processes in (1, 2, 4):  # 200 operators x 3 = 600 slots to fill each time
        say(f"R3: dispatch from {processes} process(es)")
        r3.append(r3_throughput(district, processes, 600))
    result = {
        "rules": rules,
        "operators_online": operators,
        "baseline_insert": baseline,
        "R1_route": r1,
        "R2_assign_one": r2,
        "R3_dispatch": r3,
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
    }
    base = baseline["p50_ms"]
    lines = [
        "| figure | p50 | p99 | ratio to one INSERT (p50) |",
        "|---|---|---|---|",
        f"| baseline: one INSERT | {base} ms | {baseline['p99_ms']} ms | 1.0 |",
        f"| R1 route a chat, {rules} rules | {r1['p50_ms']} ms | {r1['p99_ms']} ms | "
        f"{r1['p50_ms'] / base:.2f} |",
        f"| R2 assign a chat, {operators} online | {r2['p50_ms']} ms | {r2['p99_ms']} ms | "
        f"{r2['p50_ms'] / base:.1f} |",
        "",
        "| R3 dispatch processes | chats assigned | chats/s | INSERTs/s baseline | over capacity |",
        "|---|---|---|---|---|",
    ]
    inserts_per_s = round(1000 / baseline["mean_ms"], 1)
    for row in r3:
        lines.append(
            f"| {row['processes']} | {row['assigned']} | {row['chats_per_s']} | "
            f"{inserts_per_s} | {row['operators_over_capacity']} |"
        )
    table = "\n".join(lines)
    print(table)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "routing.json").write_text(json.dumps(result, indent=2, default=str))
    (RESULTS / "routing.md").write_text("# Routing benchmark\n\n" + table + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
