"""Hostile frames and POSTs for the soak (bench/faults.py): hypothesis generates them, a
visitor and an operator socket of a chat of their own and the widget's public POSTs take
them, while a healthy chat's round trip is measured.

Counts what matters: 1011 closes (must be 0), 500 answers (must be 0), and the healthy
chat's p99 during the fuzz against its quiet p99 (at most 2x).
"""

from __future__ import annotations

import asyncio
import json
import random
import statistics
import time
from collections import Counter
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from bench.faults import ChatSpec, Operator, Visitor, close_code, http

NASTY_TEXT = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["\x00", "a\x00b", "\ud800", "\udfff", "x\ud83d", "😀", "", " " * 5000]),
    st.text(
        alphabet=st.sampled_from(["\x00", "\ud800", "a", "é", "\u202e", "<", "'"]), max_size=20
    ),
)
LEAF = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    NASTY_TEXT,
)
VALUE = st.recursive(
    LEAF,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(NASTY_TEXT, inner, max_size=3),
    max_leaves=8,
)
VISITOR_TYPES = ["message", "resume", "typing", "end", "read"]
OPERATOR_TYPES = [
    "accept",
    "message",
    "end",
    "resume",
    "typing",
    "sync",
    "presence",
    "transfer",
    "note",
    "context",
    "followups",
    "handle",
]
FIELDS = ["body", "client_id", "conversation", "after_seq", "seq", "to", "status", "kind", "id"]


def frame_strategy(types: list[str]) -> st.SearchStrategy[str]:
    """A frame's text: mostly JSON objects of a real type with hostile fields, some raw."""
    objects = st.fixed_dictionaries(
        {"type": st.one_of(st.sampled_from(types), NASTY_TEXT)},
        optional={name: VALUE for name in FIELDS},
    ).map(lambda frame: json.dumps(frame))
    raw = st.one_of(
        st.integers(min_value=1, max_value=5000).map(lambda n: "[" * n + "]" * n),
        st.integers(min_value=1, max_value=5000).map(
            lambda n: '{"type": "message", "body": ' + "[" * n + "]" * n + "}"
        ),
        VALUE.map(json.dumps),
        st.text(max_size=50),
    )
    return st.one_of(objects, objects, objects, raw)


def collect(strategy: st.SearchStrategy, count: int, seed: int) -> list[Any]:
    """`count` examples of `strategy` (hypothesis as a generator: nothing here can fail)."""
    out: list[Any] = []

    @settings(
        max_examples=count,
        database=None,
        derandomize=True,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def gather(example: Any) -> None:
        out.append(example)

    random.seed(seed)
    gather()
    return out


async def fuzz_socket(url: str, port: int, origin: str, frames: list[str], headers=None) -> Counter:
    """Send every frame; reconnect whenever the server closes (counting why).

    Hostile content at the most a socket may send (its frame budget, reliability/
    frame_rate.py: a burst, then a steady rate), so that every frame reaches the handlers;
    what a faster client gets (`rate_limited`, then 1008) is tests/reliability/
    test_frame_rate.py's."""
    outcome: Counter = Counter()
    pending = list(frames)
    budget = ClientPace(rate=FUZZ_RATE_PER_SECOND, burst=FUZZ_BURST)
    while pending:
        try:
            async with connect(
                url,
                host="127.0.0.1",
                port=port,
                origin=origin,
                additional_headers=headers,
                max_size=None,
                open_timeout=10,
            ) as ws:
                reader = asyncio.ensure_future(_drain(ws, outcome))
                while pending:
                    await ws.send(pending.pop())
                    outcome["sent"] += 1
                    await budget.wait()
                await asyncio.sleep(1)
                reader.cancel()
        except ConnectionClosed as exc:
            outcome[f"close:{close_code(exc)}"] += 1
        except OSError:
            outcome["connect_failed"] += 1
            await asyncio.sleep(1)
    return outcome


# Just under the server's defaults (FRAME_RATE_PER_SECOND 30, FRAME_RATE_BURST 200).
FUZZ_RATE_PER_SECOND = 28.0
FUZZ_BURST = 150


class ClientPace:
    """The client's side of a token bucket: wait until the next frame is within budget."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self.tokens = float(burst)
        self.updated = time.monotonic()

    async def wait(self) -> None:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate) - 1
        self.updated = now
        if self.tokens < 0:
            await asyncio.sleep(-self.tokens / self.rate)


async def _drain(ws, outcome: Counter) -> None:
    try:
        async for raw in ws:
            frame = json.loads(raw)
            if frame.get("type") == "error":
                outcome[f"error:{frame.get('code')}"] += 1
    except ConnectionClosed as exc:
        outcome[f"close:{close_code(exc)}"] += 1


def p99(values: list[float]) -> float | None:
    if len(values) < 5:
        return None
    return statistics.quantiles(values, n=100)[98]


def healthy_latencies(
    visitor: Visitor, operator: Operator, spec: ChatSpec, since: float, until: float
) -> list[float]:
    side = operator.sides.get(spec.conversation)
    out = []
    for client_id, sent_at in visitor.sent_time.items():
        seq = visitor.acked.get(client_id)
        if since <= sent_at <= until and seq and side and seq in side.first_seen:
            out.append(side.first_seen[seq] - sent_at)
    return out


def fuzz_inputs(frames_total: int, posts_total: int) -> tuple[list[str], list[str], list[str]]:
    """Generated before the run: hypothesis is CPU-heavy, and generating while clients wait
    on the same event loop would inflate every latency measured (visitor frames, operator
    frames, POST bodies)."""
    return (
        collect(frame_strategy(VISITOR_TYPES), frames_total // 2, 1),
        collect(frame_strategy(OPERATOR_TYPES), frames_total - frames_total // 2, 2),
        collect(VALUE.map(json.dumps), posts_total, 3),
    )


async def fuzz_while_measuring(
    cluster,
    healthy: ChatSpec,
    healthy_visitor: Visitor,
    operators: dict[str, Operator],
    fuzz_chat: ChatSpec,
    fuzz_operator_session: str,
    inputs: tuple[list[str], list[str], list[str]],
    alongside,
) -> tuple[dict[str, Any], Any]:
    """The healthy chat's quiet p99 over 60 s; its p99 while the fuzz runs (the issue's 2x
    target); then `alongside` (a coroutine function: the config flood) on its own, with the
    healthy chat's p99 meanwhile reported beside it. The two loads are measured apart: the
    issue sets the 2x target for the fuzz, and asks of the flood that chats keep working."""
    operator = operators[healthy.operator]
    quiet_from = time.monotonic()
    await asyncio.sleep(60)  # one sample a second: enough for a p99 that is not just the max
    quiet = healthy_latencies(healthy_visitor, operator, healthy, quiet_from, time.monotonic())
    visitor_frames, operator_frames, bodies = inputs
    port = cluster.pick()
    host = f"{fuzz_chat.council_host}:{port}"
    fuzz_from = time.monotonic()
    visitor_outcome, operator_outcome, post_outcome = await asyncio.gather(
        fuzz_socket(
            f"ws://{host}/ws/visitor/{fuzz_chat.conversation}/?token={fuzz_chat.token}",
            port,
            f"http://{host}",
            visitor_frames,
        ),
        fuzz_socket(
            f"ws://{host}/ws/operator/",
            port,
            f"http://{host}",
            operator_frames,
            headers={"Cookie": f"sessionid={fuzz_operator_session}"},
        ),
        fuzz_posts(port, fuzz_chat, bodies),
    )
    fuzz_until = time.monotonic()
    fuzzed = healthy_latencies(healthy_visitor, operator, healthy, fuzz_from, fuzz_until)
    beside = await alongside()
    flooded = healthy_latencies(healthy_visitor, operator, healthy, fuzz_until, time.monotonic())
    return {
        "frames": len(visitor_frames) + len(operator_frames),
        "posts": len(bodies),
        "seconds": round(fuzz_until - fuzz_from, 1),
        "visitor_socket": dict(visitor_outcome),
        "operator_socket": dict(operator_outcome),
        "post_statuses": {str(k): v for k, v in post_outcome.items()},
        "healthy_p99_quiet_s": p99(quiet),
        "healthy_p99_fuzzed_s": p99(fuzzed),
        "healthy_p99_flood_s": p99(flooded),
        "healthy_samples": [len(quiet), len(fuzzed), len(flooded)],
    }, beside


async def fuzz_posts(port: int, chat: ChatSpec, bodies: list[str]) -> Counter:
    statuses: Counter = Counter()
    paths = [
        "/widget/conversations",
        "/widget/enquiries",
        f"/widget/conversations/{chat.conversation}/transcript",
        f"/widget/conversations/{chat.conversation}/rating",
    ]
    queue = list(enumerate(bodies))

    async def worker() -> None:
        while queue:
            n, body = queue.pop()
            raw = body.encode("utf-8", "surrogatepass")
            statuses[
                await asyncio.to_thread(http, port, chat.council_host, paths[n % 4], raw=raw)
            ] += 1

    await asyncio.gather(*(worker() for _ in range(4)))
    return statuses
