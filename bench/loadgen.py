"""The load generator: a separate process that speaks the real websocket protocol.

    python -m bench.loadgen SPEC.json

SPEC is written by `bench.run` (or a test) and names a mode:

* `idle`: open sockets, report READY, hold them until a line arrives on stdin (or the hold
  limit passes), close them.
* `storm`: open visitor sockets, then drop them all at once and reconnect them all at once,
  each resuming its conversation; "writer" tabs store messages while the others are away.
* `latency`: visitors send messages on a fixed schedule (open loop: sending never waits for
  a reply); the time from each send to its `ack` (stored) and to its arrival at the
  operator (delivered) is recorded, and how far sends slipped behind the schedule
  (`send_lag`). Against a floor server the echo is both.
* `queue`: operators watch the queue while visitors start chats over HTTP and end them;
  records the time until every operator has seen each change.

Every loop is bounded in count and in time, every address is on 127.0.0.0/8, and the
client's sockets are spread over several 127.0.0.x source addresses. One JSON object is
printed on the last line of stdout.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import resource
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

CONNECT_TIMEOUT = 30.0


def raise_nofile() -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def percentiles(values: list[float]) -> dict[str, float | int | None]:
    """p50, p99 and max in milliseconds (values are seconds)."""
    if not values:
        return {"n": 0, "p50_ms": None, "p99_ms": None, "max_ms": None, "mean_ms": None}
    ordered = sorted(values)
    n = len(ordered)

    def at(q: float) -> float:
        return round(ordered[min(n - 1, int(q * n))] * 1000, 3)

    return {
        "n": n,
        "p50_ms": at(0.50),
        "p99_ms": at(0.99),
        "max_ms": round(ordered[-1] * 1000, 3),
        "mean_ms": round(sum(ordered) / n * 1000, 3),
    }


@dataclass
class Target:
    """One socket to open: where, with which Host, Origin and cookie."""

    path: str
    host: str
    origin: str | None = None
    cookie: str | None = None
    port: int = 0
    key: str = ""  # conversation id (or "" for floors)

    @classmethod
    def from_dict(cls, raw: dict[str, Any], port: int) -> Target:
        return cls(
            path=raw["path"],
            host=raw.get("host", "localhost"),
            origin=raw.get("origin"),
            cookie=raw.get("cookie"),
            port=raw.get("port", port),
            key=raw.get("key", ""),
        )


@dataclass
class Sources:
    """Round-robin over 127.0.0.2 … 127.0.0.(1+n): passes the ephemeral-port limit."""

    count: int
    next: int = 0

    def pick(self) -> tuple[str, int]:
        self.next += 1
        return (f"127.0.0.{2 + self.next % self.count}", 0)


async def open_socket(
    target: Target, sources: Sources, after_seq: int | None = None
) -> ClientConnection:
    headers = {}
    if target.cookie:
        headers["Cookie"] = target.cookie
    uri = f"ws://{target.host}:{target.port}{target.path}"
    if after_seq is not None:  # as the widget reconnects: replay and `resumed` follow hello
        uri += ("&" if "?" in uri else "?") + f"after_seq={after_seq}"
    return await connect(
        uri,
        host="127.0.0.1",
        port=target.port,
        local_addr=sources.pick(),
        origin=target.origin,
        additional_headers=headers,
        compression=None,  # browsers ask for deflate, but daphne never accepts it
        ping_interval=None,  # the server pings (daphne: every 20 s); browsers only answer
        open_timeout=CONNECT_TIMEOUT,
        close_timeout=2,
        max_queue=None,
        user_agent_header=None,
    )


async def first_frame(ws: ClientConnection, timeout: float = CONNECT_TIMEOUT) -> dict[str, Any]:
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


async def open_many(
    targets: list[Target], sources: Sources, concurrency: int, deadline: float, hello: bool
) -> tuple[list[ClientConnection | None], int]:
    """Open every target (at most `concurrency` handshakes at a time); None where it failed."""
    gate = asyncio.Semaphore(concurrency)
    failures = 0

    async def one(target: Target) -> ClientConnection | None:
        nonlocal failures
        async with gate:
            for _attempt in range(3):
                if time.monotonic() > deadline:
                    break
                try:
                    ws = await open_socket(target, sources)
                    if hello:
                        frame = await first_frame(ws)
                        if frame.get("type") != "hello":
                            raise RuntimeError(f"refused: {frame}")
                    return ws
                except Exception:
                    failures += 1
                    await asyncio.sleep(0.5 + random.random() * 0.5)
            return None

    sockets = await asyncio.gather(*(one(t) for t in targets))
    return list(sockets), failures


async def close_all(sockets: list[ClientConnection | None]) -> None:
    async def one(ws: ClientConnection) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(ws.close(), 5)

    for start in range(0, len(sockets), 2000):
        await asyncio.gather(*(one(ws) for ws in sockets[start : start + 2000] if ws))


def emit(kind: str, payload: dict[str, Any]) -> None:
    print(f"{kind} {json.dumps(payload)}", flush=True)


async def wait_for_stdin_line(limit: float) -> None:
    """Until the harness writes a line (or `limit` passes). A daemon thread reads, so a
    reader still blocked at exit never holds the process up."""
    loop = asyncio.get_running_loop()
    arrived = asyncio.Event()

    def read() -> None:
        sys.stdin.readline()
        loop.call_soon_threadsafe(arrived.set)

    threading.Thread(target=read, daemon=True).start()
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(arrived.wait(), limit)


# --------------------------------------------------------------------------- idle (B1)


async def run_idle(spec: dict[str, Any]) -> dict[str, Any]:
    targets = [Target.from_dict(t, spec["port"]) for t in spec["targets"]]
    sources = Sources(spec.get("sources", 8))
    started = time.monotonic()
    deadline = started + spec.get("connect_limit_s", 300)
    sockets, failures = await open_many(
        targets, sources, spec.get("concurrency", 100), deadline, spec.get("hello", True)
    )
    opened = sum(1 for ws in sockets if ws)
    emit(
        "READY",
        {"opened": opened, "failures": failures, "connect_s": time.monotonic() - started},
    )
    await wait_for_stdin_line(spec.get("hold_limit_s", 120))
    # Sockets the server closed while we held them (pings unanswered, errors) count as lost.
    dropped = sum(1 for ws in sockets if ws and ws.close_code is not None)
    await close_all(sockets)
    return {
        "mode": "idle",
        "requested": len(targets),
        "opened": opened,
        "connect_failures": failures,
        "dropped_while_idle": dropped,
        "connect_s": round(time.monotonic() - started, 3),
    }


# --------------------------------------------------------------------------- storm (B2)


@dataclass
class Mover:
    """One visitor tab that drops and comes back, resuming after the last seq it saw."""

    target: Target
    ws: ClientConnection | None = None
    last_seq: int = 0
    seen: set[int] = field(default_factory=set)
    back_at: float | None = None
    attempts: int = 0
    failures: int = 0


async def visitor_reader_until_resumed(mover: Mover, timeout: float) -> None:
    """Read frames after a reconnect until `resumed`, recording every message seq."""
    assert mover.ws is not None
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        frame = json.loads(await asyncio.wait_for(mover.ws.recv(), end - time.monotonic()))
        if frame["type"] == "message":
            mover.seen.add(frame["seq"])
        elif frame["type"] == "resumed":
            mover.back_at = time.monotonic()
            mover.resumed_last = frame["last_seq"]  # type: ignore[attr-defined]
            return


async def run_storm(spec: dict[str, Any]) -> dict[str, Any]:
    port = spec["port"]
    sources = Sources(spec.get("sources", 8))
    movers = [Mover(Target.from_dict(t, port)) for t in spec["movers"]]
    writers_t = [Target.from_dict(t, port) for t in spec.get("writers", [])]
    floor = spec.get("floor", False)
    limit = spec.get("time_limit_s", 120)
    deadline = time.monotonic() + limit

    # 1. Everyone connects (politely, not a storm yet) and learns its last seq.
    sockets, setup_failures = await open_many(
        [m.target for m in movers], sources, spec.get("concurrency", 100), deadline, hello=False
    )
    for mover, ws in zip(movers, sockets, strict=True):
        mover.ws = ws
    live = [m for m in movers if m.ws]
    if not floor:
        hellos = await asyncio.gather(*(first_frame(m.ws) for m in live), return_exceptions=True)
        for mover, hello in zip(live, hellos, strict=True):
            if isinstance(hello, dict) and hello.get("type") == "hello":
                mover.last_seq = hello["last_seq"]
    writers, writer_failures = await open_many(writers_t, sources, 100, deadline, hello=True)
    emit("READY", {"movers": len(live), "writers": sum(1 for w in writers if w)})

    # 2. Drop every mover at once (abort the TCP connection, like a lost network).
    for mover in live:
        assert mover.ws is not None
        mover.ws.transport.abort()
    dropped_at = time.monotonic()

    # 3. While they are away, each writer tab stores one message in its conversation.
    expected: dict[str, int] = {}  # conversation -> highest seq the writers got acked

    async def write(ws: ClientConnection | None, index: int) -> None:
        if ws is None:
            return
        client_id = f"storm-{index}-{int(dropped_at * 1000)}"
        await ws.send(json.dumps({"type": "message", "client_id": client_id, "body": "hi"}))
        end = time.monotonic() + 30
        while time.monotonic() < end:
            frame = json.loads(await asyncio.wait_for(ws.recv(), end - time.monotonic()))
            if frame["type"] == "ack" and frame["client_id"] == client_id:
                key = writers_t[index].key
                expected[key] = max(expected.get(key, 0), frame["seq"])
                return

    writes = await asyncio.gather(
        *(write(ws, i) for i, ws in enumerate(writers)), return_exceptions=True
    )
    write_errors = sum(1 for w in writes if isinstance(w, BaseException))

    # 4. Everyone comes back at once and resumes; a failed attempt backs off as the widget
    # does (embed.js: d = min(15 s, 1 s * 2**tries), wait max(1 s, d * (0.7 + rand * 0.3))).
    storm_start = time.monotonic()

    async def come_back(mover: Mover) -> None:
        while time.monotonic() < deadline:
            mover.attempts += 1
            try:
                if floor:  # an echo server: "back" when one frame has gone round
                    mover.ws = await open_socket(mover.target, sources)
                    await mover.ws.send(json.dumps({"type": "resumed", "last_seq": 0}))
                else:  # as the widget does: say what was shown; replay and `resumed` follow
                    mover.ws = await open_socket(mover.target, sources, mover.last_seq)
                    hello = await first_frame(mover.ws)
                    if hello.get("type") != "hello":
                        raise RuntimeError(hello)
                await visitor_reader_until_resumed(mover, max(1.0, deadline - time.monotonic()))
                return
            except Exception:
                mover.failures += 1
                if mover.ws is not None:
                    mover.ws.transport.abort()
                    mover.ws = None
                backoff = min(15.0, 2.0 ** (mover.attempts - 1))
                await asyncio.sleep(max(1.0, backoff * (0.7 + random.random() * 0.3)))

    await asyncio.gather(*(come_back(m) for m in live))
    back = [m for m in live if m.back_at is not None]
    # 5. Loss: every seq after the mover's last, up to what the writers stored and what the
    # server says is last, must have reached the mover (live or by the resume's replay).
    lost = 0
    for mover in back:
        top = max(expected.get(mover.target.key, 0), getattr(mover, "resumed_last", 0))
        want = set(range(mover.last_seq + 1, top + 1))
        lost += len(want - mover.seen)
    expected_new = sum(
        len(set(range(m.last_seq + 1, expected.get(m.target.key, 0) + 1))) for m in back
    )
    await close_all([m.ws for m in live] + list(writers))
    times = [m.back_at - storm_start for m in back if m.back_at]
    return {
        "mode": "storm",
        "sockets": len(live),
        "setup_failures": setup_failures + writer_failures,
        "back": len(back),
        "not_back": len(live) - len(back),
        "all_back_s": round(max(times), 3) if times and len(back) == len(live) else None,
        "p50_back_s": round(sorted(times)[len(times) // 2], 3) if times else None,
        "reconnect_failures": sum(m.failures for m in live),
        "messages_written_while_away": len(expected),
        "messages_expected_by_movers": expected_new,
        "write_errors": write_errors,
        "lost": lost,
        "dropped_to_storm_s": round(storm_start - dropped_at, 3),
    }


# --------------------------------------------------------------------------- latency (B3)


@dataclass
class Pair:
    """One conversation: its visitor socket and the operator socket watching it."""

    key: str
    visitor: Target
    operator_index: int | None  # None against a floor (the echo is the delivery)


class LossCounter:
    """Counts what was sent, stored and delivered, and what never arrived.

    `sent` maps client_id -> send time. A client_id is lost when it was sent and its
    delivery never arrived (for the app, at the operator; for a floor, the echo). Gaps in
    the seqs an operator receives per conversation are counted too (`seq_gaps`).
    """

    def __init__(self) -> None:
        self.sent: dict[str, float] = {}
        self.acked: dict[str, float] = {}
        self.delivered: dict[str, float] = {}
        self.duplicates = 0
        self.errors = 0
        self.last_seq: dict[str, int] = {}
        self.seq_gaps = 0

    def on_sent(self, client_id: str, at: float) -> None:
        self.sent[client_id] = at

    def on_ack(self, client_id: str, now: float) -> None:
        if client_id in self.sent and client_id not in self.acked:
            self.acked[client_id] = now - self.sent[client_id]

    def on_delivered(self, client_id: str, now: float) -> None:
        if client_id not in self.sent:
            return
        if client_id in self.delivered:
            self.duplicates += 1
            return
        self.delivered[client_id] = now - self.sent[client_id]

    def on_seq(self, conversation: str, seq: int) -> None:
        last = self.last_seq.get(conversation)
        if last is not None and seq > last + 1:
            self.seq_gaps += seq - last - 1
        if last is None or seq > last:
            self.last_seq[conversation] = seq

    @property
    def lost(self) -> int:
        return len(set(self.sent) - set(self.delivered))

    @property
    def unacked(self) -> int:
        return len(set(self.sent) - set(self.acked))


async def pump(ws: ClientConnection, handle, stop: asyncio.Event) -> None:
    with contextlib.suppress(Exception):
        while not stop.is_set():
            handle(json.loads(await ws.recv()), time.monotonic())


async def run_latency(spec: dict[str, Any]) -> dict[str, Any]:
    port = spec["port"]
    sources = Sources(spec.get("sources", 8))
    floor = spec.get("floor", False)
    rate = float(spec["rate"])
    duration = float(spec["duration_s"])
    # After the last send, wait until everything has arrived or `drain_s` passes; only what
    # is still missing then counts as lost (an overloaded server is slow, not lossy).
    drain = float(spec.get("drain_s", 90))
    body = spec.get("body", "x" * 60)
    pairs = [
        Pair(p["key"], Target.from_dict(p["visitor"], port), p.get("operator"))
        for p in spec["pairs"]
    ]
    operators_t = [Target.from_dict(t, port) for t in spec.get("operators", [])]
    deadline = time.monotonic() + duration + drain + 120
    counter = LossCounter()

    visitors, vfail = await open_many(
        [p.visitor for p in pairs], sources, 50, deadline, hello=not floor
    )
    operators, ofail = await open_many(operators_t, sources, 50, deadline, hello=not floor)
    if any(ws is None for ws in visitors) or any(ws is None for ws in operators):
        raise RuntimeError(f"could not open every socket ({vfail + ofail} failures)")

    stop = asyncio.Event()

    def on_visitor(frame: dict[str, Any], now: float) -> None:
        kind = frame.get("type")
        if floor:  # the echo is both the "ack" and the "delivery"
            counter.on_ack(frame["client_id"], now)
            counter.on_delivered(frame["client_id"], now)
        elif kind == "ack":
            counter.on_ack(frame["client_id"], now)
        elif kind == "error":
            counter.errors += 1

    def on_operator(frame: dict[str, Any], now: float) -> None:
        if frame.get("type") == "message":
            counter.on_seq(frame["conversation"], frame["seq"])
            if frame.get("client_id"):
                counter.on_delivered(frame["client_id"], now)

    readers = [asyncio.create_task(pump(ws, on_visitor, stop)) for ws in visitors if ws]
    readers += [asyncio.create_task(pump(ws, on_operator, stop)) for ws in operators if ws]
    await asyncio.sleep(0.5)  # let hellos, replays and queue frames settle
    # The harness reads the server's counters between READY and MEASURED, so the cost of
    # opening sockets is not charged to the messages.
    emit("READY", {"sockets": len(visitors) + len(operators)})
    if spec.get("interactive"):
        await wait_for_stdin_line(60)

    total = int(rate * duration)
    run_id = f"{random.getrandbits(32):08x}"
    start = time.monotonic() + 0.2
    late_sends = 0
    lags: list[float] = []
    for k in range(total):
        scheduled = start + k / rate
        delay = scheduled - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        elif delay < -0.005:
            late_sends += 1
        index = k % len(pairs)
        client_id = f"{run_id}-{k}"
        # Latency runs from the moment of sending. The schedule never waits for replies
        # (open loop); a generator that falls behind its schedule shows in `send_lag`.
        now = time.monotonic()
        lags.append(max(0.0, now - scheduled))
        counter.on_sent(client_id, now)
        ws = visitors[index]
        assert ws is not None
        await ws.send(
            json.dumps(
                {"type": "message", "client_id": client_id, "body": body}, separators=(",", ":")
            )
        )
    sent_done = time.monotonic()
    end = sent_done + drain
    while time.monotonic() < end and (counter.lost or (not floor and counter.unacked)):
        await asyncio.sleep(0.05)
    stop.set()
    emit("MEASURED", {"sent": len(counter.sent)})
    if spec.get("interactive"):
        await wait_for_stdin_line(60)
    await close_all(list(visitors) + list(operators))
    for task in readers:
        task.cancel()
    return {
        "mode": "latency",
        "floor": floor,
        "rate": rate,
        "duration_s": duration,
        "sent": len(counter.sent),
        "achieved_rate": round(len(counter.sent) / max(1e-9, sent_done - start), 1),
        "late_sends": late_sends,
        "send_lag": percentiles(lags),
        "stored": percentiles(list(counter.acked.values())),
        "delivered": percentiles(list(counter.delivered.values())),
        "lost": counter.lost,
        "unacked": counter.unacked,
        "duplicates": counter.duplicates,
        "seq_gaps": counter.seq_gaps,
        "errors": counter.errors,
        "conversations": len(pairs),
        "operators": len(operators_t),
    }


# --------------------------------------------------------------------------- queue (B5)


async def http_json(
    port: int, host: str, method: str, path: str, body: dict | None, origin: str | None
) -> tuple[int, dict[str, Any]]:
    """A minimal HTTP/1.1 request over loopback (no client library needed)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        data = json.dumps(body or {}).encode()
        lines = [
            f"{method} {path} HTTP/1.1",
            f"Host: {host}",
            "Content-Type: application/json",
            f"Content-Length: {len(data)}",
            "Connection: close",
        ]
        if origin:
            lines.append(f"Origin: {origin}")
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + data)
        await writer.drain()
        raw = await asyncio.wait_for(reader.read(), 30)
    finally:
        writer.close()
    head, _, payload = raw.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    try:
        return status, json.loads(payload or b"{}")
    except ValueError:
        return status, {"raw": payload[:200].decode(errors="replace")}


async def run_queue(spec: dict[str, Any]) -> dict[str, Any]:
    port = spec["port"]
    sources = Sources(spec.get("sources", 8))
    operators_t = [Target.from_dict(t, port) for t in spec["operators"]]
    deadline = time.monotonic() + spec.get("time_limit_s", 120)
    operators, failures = await open_many(operators_t, sources, 20, deadline, hello=False)
    if any(ws is None for ws in operators):
        raise RuntimeError(f"could not open every operator socket ({failures} failures)")
    floor = spec.get("floor", False)
    if floor:
        return await run_fan_floor(spec, operators, sources)
    # Consoles say hello only after their first ORM work, which can be slow: wait long.
    t_hello = time.monotonic()
    hellos = await asyncio.gather(*(first_frame(ws, 180) for ws in operators if ws))
    hello_all_s = time.monotonic() - t_hello
    queue_len = [len(h.get("queue", [])) for h in hellos]
    active_len = [len(h.get("active", [])) for h in hellos]

    seen_add: dict[str, list[float]] = {}
    seen_remove: dict[str, list[float]] = {}
    stop = asyncio.Event()

    def on_operator(frame: dict[str, Any], now: float) -> None:
        kind = frame.get("type")
        if kind == "queue_add":
            seen_add.setdefault(frame["conversation"]["id"], []).append(now)
        elif kind == "queue_remove":
            seen_remove.setdefault(frame["conversation"], []).append(now)

    readers = [asyncio.create_task(pump(ws, on_operator, stop)) for ws in operators if ws]
    await asyncio.sleep(0.3)
    visitors_n = int(spec["visitors"])
    interval = 1.0 / float(spec["arrivals_per_s"])
    stay = float(spec.get("stay_s", 1.0))
    host, origin = spec["host"], spec["origin"]
    started: dict[str, float] = {}
    ended: dict[str, float] = {}
    refused: list[int] = []

    async def visitor(i: int) -> None:
        await asyncio.sleep(i * interval)
        t0 = time.monotonic()
        status, answer = await http_json(
            port,
            host,
            "POST",
            "/widget/conversations",
            {"name": f"Bench {i}", "message": "Is the tip open today?", "page_url": origin + "/"},
            origin,
        )
        if status != 201:
            refused.append(status)
            return
        conversation = answer["conversation"]
        started[conversation] = t0
        ws = await open_socket(
            Target(
                path=f"/ws/visitor/{conversation}/?token={answer['token']}",
                host=host,
                origin=origin,
                port=port,
            ),
            sources,
        )
        await first_frame(ws)
        await asyncio.sleep(stay)
        ended[conversation] = time.monotonic()
        await ws.send(json.dumps({"type": "end"}))
        await asyncio.sleep(0.2)
        await ws.close()

    results = await asyncio.gather(*(visitor(i) for i in range(visitors_n)), return_exceptions=True)
    errors = [repr(r) for r in results if isinstance(r, BaseException)]
    end = time.monotonic() + 10
    everyone = len(operators)
    while time.monotonic() < end and not all(
        len(seen_add.get(c, [])) >= everyone and len(seen_remove.get(c, [])) >= everyone
        for c in started
    ):
        await asyncio.sleep(0.05)
    stop.set()
    await close_all(list(operators))
    for task in readers:
        task.cancel()
    add_all = [
        max(seen_add[c]) - t0 for c, t0 in started.items() if len(seen_add.get(c, [])) >= everyone
    ]
    add_first = [min(seen_add[c]) - t0 for c, t0 in started.items() if seen_add.get(c)]
    remove_all = [
        max(seen_remove[c]) - t0
        for c, t0 in ended.items()
        if len(seen_remove.get(c, [])) >= everyone
    ]
    missing = sum(everyone - len(seen_add.get(c, [])) for c in started) + sum(
        everyone - len(seen_remove.get(c, [])) for c in ended
    )
    return {
        "mode": "queue",
        "operators": everyone,
        "hello_all_s": round(hello_all_s, 3),
        "operator_queue_at_hello": queue_len,
        "operator_active_at_hello": active_len,
        "visitors": visitors_n,
        "started": len(started),
        "refused": refused,
        "errors": errors[:5],
        "queue_add_to_all": percentiles(add_all),
        "queue_add_to_first": percentiles(add_first),
        "queue_remove_to_all": percentiles(remove_all),
        "lost": missing,
    }


async def run_fan_floor(
    spec: dict[str, Any], watchers: list[ClientConnection | None], sources: Sources
) -> dict[str, Any]:
    """The floor of B5: one frame through one channel-layer group to 20 sockets."""
    port = spec["port"]
    seen: dict[str, list[float]] = {}
    stop = asyncio.Event()

    def on_frame(frame: dict[str, Any], now: float) -> None:
        seen.setdefault(frame["client_id"], []).append(now)

    readers = [asyncio.create_task(pump(ws, on_frame, stop)) for ws in watchers if ws]
    sender = await open_socket(Target.from_dict(spec["sender"], port), sources)
    await asyncio.sleep(0.3)
    sent: dict[str, float] = {}
    interval = 1.0 / float(spec["arrivals_per_s"])
    for i in range(int(spec["visitors"]) * 2):  # a start and an end per visitor
        client_id = f"fan-{i}"
        sent[client_id] = time.monotonic()
        await sender.send(json.dumps({"client_id": client_id}))
        await asyncio.sleep(interval / 2)
    everyone = len(watchers)
    end = time.monotonic() + 10
    while time.monotonic() < end and any(len(seen.get(c, [])) < everyone for c in sent):
        await asyncio.sleep(0.05)
    stop.set()
    await close_all([*watchers, sender])
    for task in readers:
        task.cancel()
    to_all = [max(seen[c]) - t0 for c, t0 in sent.items() if len(seen.get(c, [])) >= everyone]
    return {
        "mode": "queue",
        "floor": True,
        "operators": everyone,
        "changes": len(sent),
        "queue_add_to_all": percentiles(to_all),
        "lost": sum(everyone - len(seen.get(c, [])) for c in sent),
    }


MODES = {"idle": run_idle, "storm": run_storm, "latency": run_latency, "queue": run_queue}


def main(argv: list[str]) -> int:
    raise_nofile()
    with open(argv[1]) as handle:
        spec = json.load(handle)
    limit = float(spec.get("hard_limit_s", 900))
    result = asyncio.run(asyncio.wait_for(MODES[spec["mode"]](spec), limit))
    emit("RESULT", result)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
