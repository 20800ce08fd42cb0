"""Assistant benchmark (issue 14): how long the assistant takes to answer, against the
widget's plain message path, measured in the same run.

    python -m bench.assistant_bench [--quick] [--conversations 50] [--messages 20]

Needs DATABASE_URL and REDIS_URL. Uses its own database (`<name>_assistant_bench`,
recreated and seeded with the demo each run) and one daphne process on a free port.

Each phase has N concurrent conversations (50 by default), every conversation a real
visitor websocket sending M messages one after another (each waits for its answer):
- plain: chats queued for a person at Christchurch (assistant off); the figure is a message's
  `ack` (stored and committed), the widget's plain message path;
- assistant: chats with Purbeck's assistant (mode first); the figure is the time from sending
  a question to receiving the assistant's answer (`message` with author `bot`), which
  includes storing the question, matching and storing the answer. The questions are the
  English ones of the shipped evaluation set.
Both are run twice:
- paced (the target's measure): each resident reads the answer and types the next question,
  a think time drawn from 1-3 s (`--think`; real residents take longer, so this is 25
  questions a second from 50 chats, a busy hour for a large council), starts staggered;
- flat out: no think time, every conversation sends its next question the moment the last
  is answered. This measures one process's throughput (answers per second), not latency:
  with 50 questions always in flight, each waits behind the others.
The decision alone (safety, matching, choosing an answer; no storing, no socket) is timed
in-process over the same questions.
Target: the assistant's answer p99 at or under 50 ms at 50 concurrent (paced) conversations.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import random
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

from bench.widget_bench import bench_database_url as _widget_db
from bench.widget_bench import free_port, recreate_database, start_server

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
TARGET_P99_MS = 50.0


def say(text: str) -> None:
    print(f"[assistant-bench] {text}", flush=True)


def bench_database_url() -> str:
    return _widget_db().replace("_widget_bench", "_assistant_bench")


def percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]

    return {
        "n": len(ordered),
        "p50_ms": round(at(0.50), 2),
        "p90_ms": round(at(0.90), 2),
        "p99_ms": round(at(0.99), 2),
        "max_ms": round(ordered[-1], 2),
        "mean_ms": round(statistics.fmean(ordered), 2),
    }


def make_chats(slug: str, count: int, bot: bool) -> list[tuple[str, str]]:
    """(conversation id, visitor token) for `count` chats at council `slug`, made in-process
    (the widget's HTTP start is rate-limited per address, and is not what is measured)."""
    from django.db import connection

    from assistant.services import bot_chat_start
    from chat.actions.lifecycle import conversation_start
    from chat.tokens import visitor_token_issue
    from councils.sites import council_ref_by_slug
    from councils.tenancy import council_schema

    connection.set_schema_to_public()
    council = council_ref_by_slug(slug)
    made = []
    with council_schema(council.schema_name):
        for i in range(count):
            if bot:
                conversation, _ = bot_chat_start(
                    council=council, name=f"Bench {i}", message="hello", department=None
                )
            else:
                conversation, _ = conversation_start(
                    council=council, name=f"Bench {i}", message="hello", department=None
                )
            token = visitor_token_issue(council_id=council.id, conversation_id=conversation.id)
            made.append((str(conversation.id), token))
    return made


async def converse(
    port: int,
    host: str,
    chat: tuple[str, str],
    questions: list[str],
    bot: bool,
    think: tuple[float, float] | None,
) -> list[float]:
    from websockets.asyncio.client import connect

    conversation, token = chat
    uri = f"ws://{host}:{port}/ws/visitor/{conversation}/?token={token}"
    times: list[float] = []
    async with connect(
        uri, host="127.0.0.1", port=port, origin=f"http://{host}", compression=None
    ) as ws:
        hello = json.loads(await ws.recv())
        assert hello["type"] == "hello", hello
        if think:  # residents arrive at different moments, not all in one instant
            await asyncio.sleep(random.uniform(0, think[1]))
        for question in questions:
            client_id = uuid.uuid4().hex
            started = time.perf_counter()
            await ws.send(json.dumps({"type": "message", "client_id": client_id, "body": question}))
            while True:
                frame = json.loads(await asyncio.wait_for(ws.recv(), 30))
                if not bot and frame["type"] == "ack" and frame["client_id"] == client_id:
                    break
                if bot and frame["type"] == "message" and frame["author"] == "bot":
                    break
            times.append((time.perf_counter() - started) * 1000)
            if think:
                await asyncio.sleep(random.uniform(*think))
    return times


async def phase(
    port: int, host: str, chats, questions: list[str], bot: bool, think
) -> tuple[list[float], float]:
    """Every chat's timings, and the phase's wall-clock seconds."""
    started = time.perf_counter()
    runs = await asyncio.gather(
        *(
            converse(
                port, host, chat, (questions[i:] + questions[:i])[: len(questions)], bot, think
            )
            for i, chat in enumerate(chats)
        )
    )
    return [t for run in runs for t in run], time.perf_counter() - started


def decision_alone(questions: list[str], rounds: int = 3) -> dict[str, float]:
    """The assistant's decision in-process (safety, matching, choosing), nothing stored."""
    from assistant.services import decide_unsafe
    from councils.sites import council_ref_by_slug
    from councils.tenancy import council_schema

    council = council_ref_by_slug("purbeck")
    times = []
    with council_schema(council.schema_name):
        for question in questions[:5]:  # warm the vocabulary cache and the connection
            decide_unsafe(question, "en")
        for question in questions * rounds:
            started = time.perf_counter()
            decide_unsafe(question, "en")
            times.append((time.perf_counter() - started) * 1000)
    return percentiles(times)


def throughput(times: list[float], seconds: float) -> float:
    return round(len(times) / seconds, 1) if seconds else 0.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="10 conversations x 5 messages")
    parser.add_argument("--conversations", type=int, default=50)
    parser.add_argument("--messages", type=int, default=20)
    parser.add_argument(
        "--think", default="1,3", help="a resident's think time between questions, MIN,MAX s"
    )
    args = parser.parse_args(argv)
    low, high = (float(x) for x in args.think.split(","))
    think = (low, high)
    conversations, messages = (10, 5) if args.quick else (args.conversations, args.messages)

    url = bench_database_url()
    say(f"database {url.rsplit('/', 1)[-1]} (recreated)")
    recreate_database(url)
    env = dict(os.environ, DATABASE_URL=url, DJANGO_SETTINGS_MODULE="config.settings")
    env.setdefault("DEMO_PASSWORD", "bench-password")
    env["DEMO"] = "1"  # seed_demo and the demo councils
    # Production settings (DEBUG off) need a key; this one signs nothing that outlives the run.
    env.setdefault("SECRET_KEY", "assistant-bench-only-not-secret-" + uuid.uuid4().hex)
    manage = [sys.executable, "manage.py"]
    subprocess.run(
        [*manage, "migrate_schemas", "--noinput"],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    subprocess.run([*manage, "seed_demo"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)

    os.environ.update(
        DATABASE_URL=url, DJANGO_SETTINGS_MODULE="config.settings", SECRET_KEY=env["SECRET_KEY"]
    )
    import django

    django.setup()
    with open(ROOT / "assistant" / "demo_data" / "evaluation.csv", encoding="utf-8") as handle:
        every_question = [
            r["question"]
            for r in csv.DictReader(handle)
            if r["language"] == "en" and r["expected_key"] not in ("SAFETY", "HANDOFF")
        ]
    questions = every_question[: max(messages, 1)]
    questions = (questions * (messages // len(questions) + 1))[:messages]
    decision = decision_alone(every_question)
    say(f"decision alone (in-process): {decision}")
    chats = {
        (kind, bot): make_chats(slug, conversations, bot=bot)
        for kind in ("paced", "flat")
        for slug, bot in (("christchurch", False), ("purbeck", True))
    }

    port = free_port()
    server = start_server(env, port)
    try:
        say(f"{conversations} concurrent conversations x {messages} messages, daphne :{port}")
        runs = {}
        for kind, pace in (("paced", think), ("flat", None)):
            for host, bot in (("christchurch.localhost", False), ("purbeck.localhost", True)):
                runs[kind, bot] = asyncio.run(
                    phase(port, host, chats[kind, bot], questions, bot, pace)
                )
    finally:
        server.terminate()
        server.wait(timeout=10)
    result = {
        "when": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
        "conversations": conversations,
        "messages_each": messages,
        "think_seconds": list(think),
        "decision_alone": decision,
        "paced": {
            "plain_message_ack": percentiles(runs["paced", False][0]),
            "assistant_answer": percentiles(runs["paced", True][0]),
        },
        "flat_out": {
            "plain_message_ack": percentiles(runs["flat", False][0]),
            "assistant_answer": percentiles(runs["flat", True][0]),
            "plain_per_second": throughput(*runs["flat", False]),
            "assistant_per_second": throughput(*runs["flat", True]),
        },
        "target_p99_ms": TARGET_P99_MS,
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg(),
    }
    paced = result["paced"]
    paced["p99_ratio_to_plain"] = round(
        paced["assistant_answer"]["p99_ms"] / paced["plain_message_ack"]["p99_ms"], 2
    )
    result["assistant_within_target"] = paced["assistant_answer"]["p99_ms"] <= TARGET_P99_MS
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"{time.strftime('%Y-%m-%d')}-assistant.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    flat = result["flat_out"]
    say(f"paced plain message ack: {paced['plain_message_ack']}")
    say(f"paced assistant answer:  {paced['assistant_answer']}")
    say(f"paced p99 ratio assistant / plain: {paced['p99_ratio_to_plain']}")
    say(f"flat out plain ack:      {flat['plain_message_ack']} ({flat['plain_per_second']}/s)")
    say(f"flat out assistant:      {flat['assistant_answer']} ({flat['assistant_per_second']}/s)")
    verdict = "met" if result["assistant_within_target"] else "NOT met"
    say(f"target p99 {TARGET_P99_MS} ms at {conversations} paced conversations: {verdict}")
    say(f"written to {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
