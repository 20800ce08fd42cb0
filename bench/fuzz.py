"""Hostile frames and POSTs for the soak (bench/faults.py): hypothesis generates them, a
visitor and an operator socket of a chat of their own and the widget's public POSTs take
them, while a healthy chat's round trip is measured.

Counts what matters: 1011 closes (must be 0), 500 answers (must be 0), and the healthy
chat's p99 during the fuzz against its quiet p99 (at most 2x).
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import random
import statistics
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from bench.faults import ChatSpec, Operator, Visitor, close_code, http
from bench.stalls import MachineStalls, steal_seconds

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


# Strings a handler may meet in a field the schema lets through: edges of length and
# content (markup, quotes, direction overrides, whole emoji, whitespace only).
SCHEMA_TEXT = st.one_of(
    st.sampled_from(["", " ", "<script>alert(1)</script>", "'; --", "\u202eevil", "😀", "é"]),
    st.text(max_size=30),
)
# Leaves that every schema refuses (reliability/validation.py), for the refused phase.
REFUSED_LEAVES = ["a\x00b", "\ud800", "x\udfff", 2**64, -(2**63), [[[[[[["deep"]]]]]]]]


def schema_strategy(schema: dict[str, Any], defs: dict[str, Any], ids: dict[str, Any]):
    """Values that `schema` (a chat.protocol client frame or part of one) accepts, at their
    edges: real and foreign ids where a UUID goes (`ids["uuid"]`: a list), bounds of every
    number, every enum value, strings up to their maxLength. These reach the handlers, where
    a crash would hide (a schema refuses the rest before any handler runs)."""
    if "$ref" in schema:
        return schema_strategy(defs[schema["$ref"].rsplit("/", 1)[1]], defs, ids)
    if "const" in schema:
        return st.just(schema["const"])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return st.one_of([schema_strategy(s, defs, ids) for s in schema[key]])
    kind = schema.get("type")
    if isinstance(kind, list):
        return st.one_of([schema_strategy({**schema, "type": k}, defs, ids) for k in kind])
    if kind == "string":
        if "pattern" in schema and "0-9a-fA-F" in schema["pattern"]:
            return st.sampled_from(ids["uuid"])
        low, high = schema.get("minLength", 0), schema.get("maxLength", 200)
        edges = st.sampled_from(["x" * max(low, 1), "x" * high, *ids.get("text", [])])
        return st.one_of(edges, SCHEMA_TEXT.filter(lambda t: low <= len(t) <= high))
    if kind == "integer":
        low = schema.get("minimum", -(2**53 - 1))
        high = schema.get("maximum", 2**53 - 1)
        return st.one_of(
            st.sampled_from([low, high, *[v for v in ids.get("int", []) if low <= v <= high]]),
            st.integers(min_value=low, max_value=high),
        )
    if kind == "number":
        return st.floats(allow_nan=False, allow_infinity=False, min_value=-1e9, max_value=1e9)
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    if kind == "array":
        items = schema_strategy(schema.get("items", {"type": "string"}), defs, ids)
        return st.lists(items, max_size=schema.get("maxItems", 5))
    if kind == "object":
        properties = schema.get("properties", {})
        required = set(schema.get("required", []))
        return st.fixed_dictionaries(
            {k: schema_strategy(v, defs, ids) for k, v in properties.items() if k in required},
            optional={
                k: schema_strategy(v, defs, ids) for k, v in properties.items() if k not in required
            },
        )
    return st.one_of(st.none(), st.booleans(), st.integers(-5, 5), SCHEMA_TEXT)


def schema_frames(socket: str, ids: dict[str, Any]) -> st.SearchStrategy[str]:
    """Frames of `socket`'s own types (chat.protocol: "visitor", "operator", "supervisor")
    that its schema accepts: every type the socket has, the new ones included."""
    from chat.protocol import schemas

    every = schemas()
    client = every[socket]["client"]
    return st.one_of(
        [schema_strategy(client[name], every["$defs"], ids) for name in sorted(client)]
    ).map(json.dumps)


def refused_frames(socket: str, ids: dict[str, Any]) -> st.SearchStrategy[str]:
    """Frames of `socket`'s types that must be refused before any handler: an accepted frame
    with an unknown field, or with one field replaced by NUL, a lone surrogate, a number out
    of range or nesting too deep."""
    from chat.protocol import schemas

    every = schemas()
    client = every[socket]["client"]

    def spoil(frame: dict[str, Any], how: int, leaf: Any) -> str:
        fields = [k for k in frame if k != "type"]
        if how == 0 or not fields:
            frame = {**frame, "unknown_field": leaf}
        else:
            frame = {**frame, fields[how % len(fields)]: leaf}
        return json.dumps(frame)

    valid = st.one_of(
        [schema_strategy(client[name], every["$defs"], ids) for name in sorted(client)]
    )
    return st.builds(spoil, valid, st.integers(0, 5), st.sampled_from(REFUSED_LEAVES))


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


# Just under the server's defaults (FRAME_RATE_PER_SECOND 10, FRAME_RATE_BURST 50).
FUZZ_RATE_PER_SECOND = 9.5
FUZZ_BURST = 45


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


def latency_shape(samples: list[tuple[float, float]], start: float) -> dict:
    """How a window's latencies are spread, and when its slowest ones were sent (seconds
    after `start`). A p99 alone cannot tell a few stalls at one moment (a machine pause, one
    expensive frame) from a slowdown spread over the whole window; this can."""
    if not samples:
        return {}
    values = sorted(lat for _, lat in samples)
    slowest = sorted(samples, key=lambda s: s[1], reverse=True)[:10]
    return {
        "p50_s": round(statistics.median(values), 4),
        "p90_s": round(values[int(0.9 * (len(values) - 1))], 4),
        "max_s": round(values[-1], 4),
        "over_200ms": sum(1 for v in values if v > 0.2),
        "slowest": [[round(sent - start, 1), round(lat, 3)] for sent, lat in slowest],
    }


def healthy_samples(
    visitor: Visitor, operator: Operator, spec: ChatSpec, since: float, until: float
) -> list[tuple[float, float]]:
    """(sent at, seconds until shown on the console) of the healthy chat's messages sent
    in the window."""
    side = operator.sides.get(spec.conversation)
    out = []
    for client_id, sent_at in visitor.sent_time.items():
        seq = visitor.acked.get(client_id)
        if since <= sent_at <= until and seq and side and seq in side.first_seen:
            out.append((sent_at, side.first_seen[seq] - sent_at))
    return out


def healthy_latencies(
    visitor: Visitor, operator: Operator, spec: ChatSpec, since: float, until: float
) -> list[float]:
    return [lat for _, lat in healthy_samples(visitor, operator, spec, since, until)]


def outside_pauses(samples: list[tuple[float, float]], stalls: MachineStalls) -> list[float]:
    """The latencies whose round trip did not overlap a pause of the whole machine."""
    return [lat for sent, lat in samples if not stalls.overlaps(sent, sent + lat)]


def fuzz_inputs(
    frames_total: int, posts_total: int, ids: dict[str, Any]
) -> tuple[list[str], list[str], list[str], list[str]]:
    """Generated before the run: hypothesis is CPU-heavy, and generating while clients wait
    on the same event loop would inflate every latency measured (visitor frames, operator
    frames, supervisor frames, POST bodies). Half of each socket's frames are random shapes
    of its types, half generated from its schema (`schema_frames`: they reach the handlers);
    the supervisor's socket gets a tenth of the total on top."""
    half = frames_total // 4
    ids = {"int": [1, 2, 2**53 - 1], "text": ["parking", "beta"], **ids}
    return (
        collect(frame_strategy(VISITOR_TYPES), half, 1)
        + collect(schema_frames("visitor", ids), frames_total // 2 - half, 4),
        collect(frame_strategy(OPERATOR_TYPES), half, 2)
        + collect(schema_frames("operator", ids), frames_total - frames_total // 2 - half, 5),
        collect(schema_frames("supervisor", ids), frames_total // 10, 6),
        collect(VALUE.map(json.dumps), posts_total, 3),
    )


class Attacker:
    """The hostile clients in a process of their own, started before the quiet window.

    A real attacker's CPU is not the harness's: run on the harness's event loop (and its
    POSTs on the harness's threads, under its GIL), the fuzz delayed the moment the healthy
    chat's operator read a message it had already been sent, and the measured p99 included
    the measuring client's own queue. In its own process the attacker still shares this
    machine's two cores with the daphnes, as the issue's setting has it."""

    def __init__(self) -> None:
        self.pool = ProcessPoolExecutor(
            max_workers=1, mp_context=multiprocessing.get_context("spawn")
        )
        self.pool.submit(_attacker_ready).result()  # the child has imported this module

    async def run(
        self, sockets: list[tuple[str, int, str, list[str], dict | None]], posts: tuple
    ) -> list[Counter]:
        return await asyncio.get_running_loop().run_in_executor(self.pool, _attack, sockets, posts)

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


def _attacker_ready() -> bool:
    return True


def _attack(
    sockets: list[tuple[str, int, str, list[str], dict | None]], posts: tuple
) -> list[Counter]:
    """In the attacker's process: every hostile socket and the POSTs at once."""

    async def main() -> list[Counter]:
        return await asyncio.gather(
            *(fuzz_socket(*socket) for socket in sockets), fuzz_posts(*posts)
        )

    return asyncio.run(main())


async def fuzz_while_measuring(
    cluster,
    healthy: ChatSpec,
    healthy_visitor: Visitor,
    operators: dict[str, Operator],
    fuzz_chat: ChatSpec,
    fuzz_sessions: tuple[str, str],
    inputs: tuple[list[str], list[str], list[str], list[str]],
    alongside,
) -> tuple[dict[str, Any], Any]:
    """The healthy chat's quiet p99 over 150 s; its p99 while the fuzz runs (the issue's 2x
    target); then `alongside` (a coroutine function: the config flood) on its own, with the
    healthy chat's p99 meanwhile reported beside it. The two loads are measured apart: the
    issue sets the 2x target for the fuzz, and asks of the flood that chats keep working.

    The fuzz goes to the daphne the healthy chat's visitor is on, the worst case: picked at
    random, the healthy chat was on the other process about half the time, and the ratio
    then measured the machine rather than the fuzz. The quiet window is 150 samples: with
    60, its p99 was nearly its maximum, and two quiet-machine runs gave 12 and 33 ms."""
    operator = operators[healthy.operator]
    attacker = Attacker()
    stalls = MachineStalls().start()
    steal = [steal_seconds()]
    quiet_from = time.monotonic()
    await asyncio.sleep(150)  # one sample a second
    quiet_samples = healthy_samples(
        healthy_visitor, operator, healthy, quiet_from, time.monotonic()
    )
    quiet = [lat for _, lat in quiet_samples]
    steal.append(steal_seconds())
    visitor_frames, operator_frames, supervisor_frames, bodies = inputs
    fuzz_operator_session, supervisor_session = fuzz_sessions
    port = healthy_visitor.port or cluster.pick()
    host = f"{fuzz_chat.council_host}:{port}"
    sockets = [
        (
            f"ws://{host}/ws/visitor/{fuzz_chat.conversation}/?token={fuzz_chat.token}",
            port,
            f"http://{host}",
            visitor_frames,
            None,
        ),
        (
            f"ws://{host}/ws/operator/",
            port,
            f"http://{host}",
            operator_frames,
            {"Cookie": f"sessionid={fuzz_operator_session}"},
        ),
        (
            f"ws://{host}/ws/supervisor/",
            port,
            f"http://{host}",
            supervisor_frames,
            {"Cookie": f"sessionid={supervisor_session}"},
        ),
    ]
    fuzz_from = time.monotonic()
    try:
        outcomes = await attacker.run(sockets, (port, fuzz_chat, bodies))
    finally:
        attacker.close()
    visitor_outcome, operator_outcome, supervisor_outcome, post_outcome = outcomes
    fuzz_until = time.monotonic()
    fuzzed_samples = healthy_samples(healthy_visitor, operator, healthy, fuzz_from, fuzz_until)
    fuzzed = [lat for _, lat in fuzzed_samples]
    steal.append(steal_seconds())
    stalls.stop()
    quiet_clean = outside_pauses(quiet_samples, stalls)
    fuzzed_clean = outside_pauses(fuzzed_samples, stalls)
    beside = await alongside()
    flooded = healthy_latencies(healthy_visitor, operator, healthy, fuzz_until, time.monotonic())
    return {
        "same_daphne_as_healthy_visitor": port == healthy_visitor.port,
        "frames": len(visitor_frames) + len(operator_frames),
        "posts": len(bodies),
        "seconds": round(fuzz_until - fuzz_from, 1),
        "visitor_socket": dict(visitor_outcome),
        "operator_socket": dict(operator_outcome),
        "supervisor_socket": dict(supervisor_outcome),
        "supervisor_frames": len(supervisor_frames),
        "post_statuses": {str(k): v for k, v in post_outcome.items()},
        "healthy_p99_quiet_s": p99(quiet),
        "healthy_p99_fuzzed_s": p99(fuzzed),
        "healthy_p99_flood_s": p99(flooded),
        "healthy_samples": [len(quiet), len(fuzzed), len(flooded)],
        # The same two figures without the samples whose round trip overlapped a pause of
        # the whole machine (bench/stalls.py), and what was seen of such pauses.
        "healthy_p99_quiet_outside_pauses_s": p99(quiet_clean),
        "healthy_p99_fuzzed_outside_pauses_s": p99(fuzzed_clean),
        "samples_outside_pauses": [len(quiet_clean), len(fuzzed_clean)],
        "healthy_shape": {
            "quiet": latency_shape(quiet_samples, quiet_from),
            "fuzz": latency_shape(fuzzed_samples, fuzz_from),
        },
        "machine_pauses": {
            "quiet": stalls.within(quiet_from, fuzz_from),
            "fuzz": stalls.within(fuzz_from, fuzz_until),
            "steal_s": [round(steal[1] - steal[0], 2), round(steal[2] - steal[1], 2)],
        },
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
