"""The fault suite (bench/faults.py): real daphnes on a PostgreSQL and a Redis of the test's
own, steady chat traffic, Redis killed and restarted, PostgreSQL crashed (`pg_ctl stop -m
immediate`), a flood of anonymous config requests: then nothing acked is lost, nothing is
duplicated or out of order, no socket is closed with 1011, and no seq is handed out twice.

Small by default (part of `make test`, under a minute); `make soak` (SOAK=1) runs it at scale
with two Redis restarts, a redeploy and 10,000 fuzzed frames and POSTs, and writes
bench/results/soak.json and .md (docs/reliability.md).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import random
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from bench.faults import (
    ChatSpec,
    Cluster,
    Operator,
    Tally,
    Visitor,
    config_flood,
    report,
    wait_live_again,
)
from tests.conftest import put_online, set_routing
from tests.factories import accepted_chat_in, operator_in
from tests.reliability.live import (
    ROOT,
    Daphne,
    OwnPostgres,
    OwnRedis,
    daphne_env,
    django_database_url,
)
from tests.sockets import login_session_unsafe

SOAK = os.environ.get("SOAK") == "1"
pytestmark = [pytest.mark.usefixtures("manual_assignment"), pytest.mark.live_server]


@dataclass(frozen=True)
class Scale:
    chats_per_council: int
    operators_per_council: int
    interval: float  # seconds between one visitor's messages
    redis_restarts: int
    redeploys: int
    config_requests: int
    fuzz_frames: int


SMALL = Scale(3, 1, 1.0, 1, 0, 100, 0)
# The full form's visitors each send every 6 s (102 of them: 17 messages a second, what
# this 2-core machine carries while the fuzz and the flood run; the first soak, at 51 a
# second, measured an overloaded machine rather than the faults).
FULL = Scale(34, 10, 6.0, 2, 1, 1000, 10_000)


def make_chats(councils, scale: Scale) -> tuple[list[ChatSpec], dict[str, tuple[str, str]]]:
    """Accepted chats in three councils, and a logged-in operator per `operators` key."""
    chats, operators = [], {}
    for council in councils.all():
        set_routing(council, assignment_strategy="manual", max_chats_per_operator=20)
        names = [f"fault{n}" for n in range(scale.operators_per_council)]
        refs = []
        for name in names:
            refs.append(operator_in(council, name))
            put_online(council, name)
            operators[f"{council.slug}:{name}"] = (
                council.hosts[0],
                login_session_unsafe(council, name),
            )
        for n in range(scale.chats_per_council):
            index = n % len(names)
            chat = accepted_chat_in(council, refs[index])
            chats.append(
                ChatSpec(
                    council.hosts[0], str(chat.id), chat.token, f"{council.slug}:{names[index]}"
                )
            )
    return chats, operators


def make_fuzz_chat(councils) -> tuple[ChatSpec, str, str, list[int]]:
    """A chat, an operator and a supervisor of their own for hostile frames (they may end,
    move or reassign it), and the two's user ids."""
    council = councils.alpha
    fuzzer = operator_in(council, "fuzzer")
    put_online(council, "fuzzer")
    chief = operator_in(council, "fuzzchief", is_superuser=True)  # may supervise
    chat = accepted_chat_in(council, fuzzer)
    spec = ChatSpec(council.hosts[0], str(chat.id), chat.token, "alpha:fuzzer")
    return (
        spec,
        login_session_unsafe(council, "fuzzer"),
        login_session_unsafe(council, "fuzzchief"),
        [fuzzer.id, chief.id],
    )


def stored_messages(url: str, schemas: list[str]) -> dict[str, dict[int, str | None]]:
    rows: dict[str, dict[int, str | None]] = {}
    with psycopg.connect(url) as conn:
        for schema in schemas:
            for conversation, seq, client_id in conn.execute(
                f'SELECT conversation_id, seq, client_id FROM "{schema}".chat_message'  # noqa: S608
            ):
                rows.setdefault(str(conversation), {})[seq] = client_id
    return rows


async def scenario(scale, chats, operator_logins, daphnes, pg, redis_server, url, env, fuzz):
    tally = Tally()
    cluster = Cluster([d.port for d in daphnes])
    measured = {spec.conversation for spec in chats}
    operators = {
        key: Operator(host, session, cluster, tally, measured)
        for key, (host, session) in operator_logins.items()
    }
    visitors = [Visitor(spec, cluster, tally, f"v{i}") for i, spec in enumerate(chats)]
    stop = asyncio.Event()
    tasks = [asyncio.ensure_future(o.run(stop)) for o in operators.values()]
    # visitors[1] is the healthy chat whose round trip is measured: it talks faster.
    tasks += [
        asyncio.ensure_future(v.run(stop, 1.0 if i == 1 else scale.interval))
        for i, v in enumerate(visitors)
    ]
    recovery: dict[str, float | None] = {}
    events: list[str] = []
    began = time.monotonic()

    async def recovered(label: str) -> None:
        since = time.monotonic()
        for visitor in visitors:  # a probe from every chat now, so the wait is the server's
            visitor.probe()
        recovery[label] = await wait_live_again(
            visitors, operators, since, chats, timeout=max(30, 3 * scale.interval + 20)
        )
        events.append(
            f"{time.monotonic() - began:.1f}s {label}: live again after {recovery[label]}"
        )

    await asyncio.sleep(2)
    await recovered("warm-up")
    for n in range(scale.redis_restarts):
        redis_server.kill()
        await asyncio.sleep(1.5)
        await asyncio.to_thread(redis_server.start)
        await recovered(f"redis restart {n + 1}")
    pg.crash()
    await asyncio.sleep(1.5)
    await asyncio.to_thread(pg.start)
    await recovered("postgresql crash")
    for n in range(scale.redeploys):
        old = daphnes[0]
        new = Daphne(env=env)
        await asyncio.to_thread(new.start)
        cluster.ports = [new.port, *[d.port for d in daphnes[1:]]]
        drained = await asyncio.to_thread(old.terminate)
        daphnes[0] = new
        events.append(f"redeploy {n + 1}: old daphne drained and exited in {drained:.1f} s")
        await recovered(f"redeploy {n + 1}")

    def flood_now():
        return config_flood(
            cluster.ports[-1], "wessex.localhost", scale.config_requests, concurrency=16
        )

    if not scale.fuzz_frames:
        fuzz = {}
        flood = await flood_now()
    else:
        from bench.fuzz import fuzz_while_measuring

        fuzz_chat, fuzz_session, supervisor_session, inputs = fuzz
        fuzz, flood = await fuzz_while_measuring(
            cluster,
            chats[1],
            visitors[1],
            operators,
            fuzz_chat,
            (fuzz_session, supervisor_session),
            inputs,
            flood_now,
        )
    await recovered("config flood and fuzz")
    # Settle: no new messages; every unacked one is retried until acked, every side resumes.
    for visitor in visitors:
        visitor.sending = False
    deadline = time.monotonic() + (180 if SOAK else 30)
    while any(v.outbox for v in visitors) and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    result_unacked = sum(len(v.outbox) for v in visitors)
    schemas = sorted({f"council_{spec.council_host.split('.')[0]}" for spec in chats})
    deadline = time.monotonic() + (120 if SOAK else 30)
    while time.monotonic() < deadline:
        stored = await asyncio.to_thread(stored_messages, url, schemas)
        result = report(tally, visitors, operators, chats, stored)
        if result["not_shown"] == 0:
            break
        await asyncio.sleep(0.5)
    stop.set()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    result["unacked_at_end"] = result_unacked
    result["seconds_to_live_again"] = recovery
    result["config_flood"] = {str(k): v for k, v in flood.items()}
    result["fuzz"] = fuzz
    result["events"] = events
    result["sockets"] = {"visitors": len(visitors), "operators": len(operators)}
    return result


def write_results(result: dict) -> None:
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "soak.json").write_text(json.dumps(result, indent=2) + "\n")
    lines = [
        "# Soak (make soak)",
        "",
        f"Run at {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.",
        "",
    ]
    fuzz = result.get("fuzz") or {}
    if fuzz.get("healthy_p99_quiet_s") and fuzz.get("healthy_p99_fuzzed_s"):
        quiet, fuzzed = fuzz["healthy_p99_quiet_s"], fuzz["healthy_p99_fuzzed_s"]
        flood = fuzz.get("healthy_p99_flood_s")
        lines += [
            f"Healthy chat, p99 from send to shown on the console: quiet {quiet:.3f} s, "
            f"during the fuzz {fuzzed:.3f} s (**{fuzzed / quiet:.2f}x**, target at most 2x), "
            f"during the config flood {flood or 0:.3f} s (samples {fuzz['healthy_samples']}).",
            "",
        ]
        clean_quiet = fuzz.get("healthy_p99_quiet_outside_pauses_s")
        clean_fuzzed = fuzz.get("healthy_p99_fuzzed_outside_pauses_s")
        if clean_quiet and clean_fuzzed:
            lines += [
                f"Without the samples that overlapped a pause of the whole machine "
                f"(bench/stalls.py; pauses {json.dumps(fuzz['machine_pauses'])}): quiet "
                f"{clean_quiet:.3f} s, during the fuzz {clean_fuzzed:.3f} s "
                f"(**{clean_fuzzed / clean_quiet:.2f}x**; samples "
                f"{fuzz['samples_outside_pauses']}).",
                "",
            ]
    lines += ["| measure | value |", "|---|---|"]
    for key, value in result.items():
        lines.append(f"| {key} | `{json.dumps(value)}` |")
    (out / "soak.md").write_text("\n".join(lines) + "\n")


@pytest.mark.skipif(not Path("/usr/lib/postgresql/15/bin/pg_ctl").exists(), reason="needs PG 15")
def test_through_redis_restarts_and_a_postgresql_crash_nothing_acked_is_lost(councils):
    scale = FULL if SOAK else SMALL
    if os.environ.get("FAULT_CONFIG_REQUESTS"):  # e.g. the 1,000 in the small form
        scale = dataclasses.replace(scale, config_requests=int(os.environ["FAULT_CONFIG_REQUESTS"]))
    random.seed(12)
    began = time.monotonic()
    chats, operator_logins = make_chats(councils, scale)
    fuzz = None
    if scale.fuzz_frames:
        from bench.fuzz import fuzz_inputs

        *made, own_users = make_fuzz_chat(councils)
        # The fuzz chat, another council's chat and an unknown id: never a measured chat of
        # the fuzz's own council, which a supervisor's `reassign` would really move (the
        # first run with these frames counted 127 out of order from exactly that). Operator
        # ids likewise: the fuzz's own two and an unknown one, never a measured console's
        # operator, whom a supervisor's `reassign` would really hand the fuzz chat (and its
        # hostile stream): an authorised act that loads that console, not an attack on the
        # server (the soak of 2026-12-01 02:07 did that, ids 1 and 2 being measured ones).
        foreign = next(c for c in chats if c.council_host != made[0].council_host)
        ids = {
            "uuid": [made[0].conversation, foreign.conversation, str(uuid.uuid4())],
            "int": [*own_users, 2**53 - 1],
        }
        fuzz = (*made, fuzz_inputs(scale.fuzz_frames, scale.fuzz_frames // 10, ids))
    timings = {"chats made": time.monotonic() - began}
    pg = OwnPostgres().init().start()
    redis_server = OwnRedis().start()
    daphnes: list[Daphne] = []
    try:
        url = pg.copy_database_from(django_database_url(), "faults")
        env = daphne_env(url, redis_server.url(), CHANNEL_GROUP_EXPIRY="60")
        daphnes = [Daphne(env=env), Daphne(env=env)]
        timings["database copied"] = time.monotonic() - began
        with ThreadPoolExecutor(2) as pool:
            list(pool.map(lambda d: d.start(timeout=90), daphnes))
        timings["servers up"] = time.monotonic() - began
        result = asyncio.run(
            scenario(scale, chats, operator_logins, daphnes, pg, redis_server, url, env, fuzz)
        )
        timings["scenario done"] = time.monotonic() - began
        result["timings"] = timings
        Path(tempfile.gettempdir(), "councilchat-faults.json").write_text(json.dumps(result))
        if SOAK:
            write_results(result)
        print(json.dumps(result, indent=2))
        assert result["acked"] > 0 and result["sent"] >= result["acked"]
        assert result["lost"] == 0, result
        assert result["duplicated"] == 0 and result["out_of_order"] == 0, result
        assert result["seq_reused"] == 0, result
        assert "1011" not in result["closes"], result
        # No measured client ever went over its budgets: they talk at a person's pace, and
        # a loaded machine must not count against them (the database-time budget once
        # charged wall-clock waits, and the config flood put these chats' acks at 24 s).
        assert "rate_limited" not in result["errors"], result
        # Every socket delivers live again after each fault. How soon (the 10 s) is a
        # timing goal: `make soak` reports it against that target (docs/reliability.md); here
        # the deadline leaves room for a loaded CI machine with coverage tracing the daphnes.
        # (A CI run once took 21 s: the re-join after the restart drew a stale pooled
        # connection and failed, so sockets waited for the periodic re-join. Fixed in
        # chat/layers.py and reliability/sockets.py; runs since take 1-2 s, with coverage.)
        recovery_deadline = 10 if SOAK else 15
        assert all(
            v is not None and v < recovery_deadline
            for v in result["seconds_to_live_again"].values()
        ), result
        assert "500" not in result["config_flood"], result
        if result["fuzz"]:
            fuzzed = result["fuzz"]
            assert fuzzed["frames"] >= 10_000, fuzzed
            for side in ("visitor_socket", "operator_socket", "supervisor_socket"):
                assert "close:1011" not in fuzzed[side], fuzzed
                assert "error:internal_error" not in fuzzed[side], fuzzed
            assert "500" not in fuzzed["post_statuses"], fuzzed
    finally:
        for daphne in daphnes:
            daphne.kill()
        redis_server.kill()
        pg.remove()
