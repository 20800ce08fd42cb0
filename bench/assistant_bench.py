"""Assistant benchmark (issue 14): how long the assistant takes to answer, against the
widget's plain message path, measured in the same run.

    python -m bench.assistant_bench [--quick] [--conversations 50] [--messages 20]

Needs DATABASE_URL and REDIS_URL. Uses its own database (`<name>_assistant_bench`,
recreated and seeded with the demo each run) and one daphne process on a free port.

Two phases, each with N concurrent conversations (50 by default), every conversation a real
visitor websocket sending M messages one after another (each waits for its answer):
- plain: chats queued for a person at Christchurch (assistant off); the figure is a message's
  `ack` (stored and committed), the widget's plain message path;
- assistant: chats with Purbeck's assistant (mode first); the figure is the time from sending
  a question to receiving the assistant's answer (`message` with author `bot`), which
  includes storing the question, matching and storing the answer. The questions are the
  English ones of the shipped evaluation set.
Target: the assistant's answer p99 at or under 50 ms at 50 concurrent conversations.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
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
    port: int, host: str, chat: tuple[str, str], questions: list[str], bot: bool
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
    return times


async def phase(port: int, host: str, chats, questions: list[str], bot: bool) -> list[float]:
    runs = await asyncio.gather(
        *(
            converse(port, host, chat, (questions[i:] + questions[:i])[: len(questions)], bot)
            for i, chat in enumerate(chats)
        )
    )
    return [t for run in runs for t in run]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="10 conversations x 5 messages")
    parser.add_argument("--conversations", type=int, default=50)
    parser.add_argument("--messages", type=int, default=20)
    args = parser.parse_args(argv)
    conversations, messages = (10, 5) if args.quick else (args.conversations, args.messages)

    url = bench_database_url()
    say(f"database {url.rsplit('/', 1)[-1]} (recreated)")
    recreate_database(url)
    env = dict(os.environ, DATABASE_URL=url, DJANGO_SETTINGS_MODULE="config.settings")
    env.setdefault("DEMO_PASSWORD", "bench-password")
    manage = [sys.executable, "manage.py"]
    subprocess.run(
        [*manage, "migrate_schemas", "--noinput"],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    subprocess.run([*manage, "seed_demo"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)

    os.environ.update(DATABASE_URL=url, DJANGO_SETTINGS_MODULE="config.settings")
    import django

    django.setup()
    with open(ROOT / "assistant" / "demo_data" / "evaluation.csv", encoding="utf-8") as handle:
        questions = [
            r["question"]
            for r in csv.DictReader(handle)
            if r["language"] == "en" and r["expected_key"] not in ("SAFETY", "HANDOFF")
        ][: max(messages, 1)]
    questions = (questions * (messages // len(questions) + 1))[:messages]
    plain_chats = make_chats("christchurch", conversations, bot=False)
    bot_chats = make_chats("purbeck", conversations, bot=True)

    port = free_port()
    server = start_server(env, port)
    try:
        say(f"{conversations} concurrent conversations x {messages} messages, daphne :{port}")
        plain = asyncio.run(phase(port, "christchurch.localhost", plain_chats, questions, False))
        bot = asyncio.run(phase(port, "purbeck.localhost", bot_chats, questions, True))
    finally:
        server.terminate()
        server.wait(timeout=10)
    result = {
        "when": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
        "conversations": conversations,
        "messages_each": messages,
        "plain_message_ack": percentiles(plain),
        "assistant_answer": percentiles(bot),
        "target_p99_ms": TARGET_P99_MS,
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg(),
    }
    result["assistant_within_target"] = result["assistant_answer"]["p99_ms"] <= TARGET_P99_MS
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"{time.strftime('%Y-%m-%d')}-assistant.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    say(f"plain message ack:   {result['plain_message_ack']}")
    say(f"assistant answer:    {result['assistant_answer']}")
    verdict = "met" if result["assistant_within_target"] else "NOT met"
    say(f"target p99 {TARGET_P99_MS} ms: {verdict}")
    say(f"written to {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
