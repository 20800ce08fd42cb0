"""The fault suite's harness: steady chat traffic over real daphne processes while Redis is
killed and restarted, PostgreSQL crashes, a daphne is redeployed and hostile frames and
POSTs are fuzzed; then counts what was sent, acked, stored and delivered.

Used in small form by tests/reliability/test_faults.py (`make test`) and in full by
`make soak` (SOAK=1, the same test module at scale; results in bench/results/soak.*).
Loopback only; every server it kills is one it started (tests/reliability/live.py).

Definitions (docs/reliability.md):
* sent: distinct messages a client sent (retries of one client_id count once);
* acked: of those, acked by the server; stored: rows in PostgreSQL at the end;
* delivered live / by replay: message frames the other side of the chat received pushed by
  the layer (or resync) / in a replay after it reconnected (between hello and resumed);
* lost: acked but not stored, or stored but never shown to one side of the chat by the end;
* duplicated: one client_id stored twice (a seq a client received twice is a redundant
  frame, discarded by the clients as the real ones do);
* seq reused: an acked seq that now holds another message (what a lossy crash leaves);
* out of order: a message frame whose seq skipped over one not yet received;
* seconds to live again: after each fault, until every chat has carried a message sent
  right after it (each visitor sends a probe when the fault ends).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import time
import urllib.error
import urllib.request
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus


@dataclass
class ChatSpec:
    council_host: str
    conversation: str
    token: str
    operator: str  # key into operator sessions


@dataclass
class Tally:
    sent: int = 0
    live: int = 0
    replay: int = 0
    redundant: int = 0  # a seq the client already had (discarded, as the real clients do)
    out_of_order: int = 0
    closes: Counter = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)


class Side:
    """One side of one chat as a client sees it: which seqs it has been shown, and how."""

    def __init__(self, tally: Tally) -> None:
        self.tally = tally
        self.last = 0
        self.seen: set[int] = set()
        self.first_seen: dict[int, float] = {}

    def receive(self, seq: int, replay: bool) -> None:
        if seq in self.seen:
            self.tally.redundant += 1
            return
        if seq != self.last + 1:
            self.tally.out_of_order += 1
        self.seen.add(seq)
        self.first_seen[seq] = time.monotonic()
        self.last = max(self.last, seq)
        if replay:
            self.tally.replay += 1
        else:
            self.tally.live += 1


class Cluster:
    """The daphne ports clients may use (a redeploy swaps one)."""

    def __init__(self, ports: list[int]) -> None:
        self.ports = list(ports)

    def pick(self) -> int:
        return random.choice(self.ports)


def close_code(exc: BaseException) -> int:
    rcvd = getattr(exc, "rcvd", None)
    return rcvd.code if rcvd is not None else 1006


class Visitor:
    def __init__(self, spec: ChatSpec, cluster: Cluster, tally: Tally, name: str) -> None:
        self.spec, self.cluster, self.tally, self.name = spec, cluster, tally, name
        self.side = Side(tally)
        self.outbox: dict[str, str] = {}
        self.acked: dict[str, int] = {}
        self.ack_time: dict[str, float] = {}
        self.counter = 0
        self.ws = None
        self.sending = True
        self.tasks: set[asyncio.Task] = set()
        self.sent_time: dict[str, float] = {}
        self.port: int | None = None  # the daphne of the socket open now

    async def run(self, stop: asyncio.Event, interval: float) -> None:
        sender = asyncio.ensure_future(self.send_loop(stop, interval))
        try:
            while not stop.is_set():
                delay = await self.session(stop)
                if not stop.is_set():
                    await asyncio.sleep(delay)
        finally:
            sender.cancel()

    async def session(self, stop: asyncio.Event) -> float:
        port = self.cluster.pick()
        host = f"{self.spec.council_host}:{port}"
        url = (
            f"ws://{host}/ws/visitor/{self.spec.conversation}/"
            f"?token={self.spec.token}&after_seq={self.side.last}"
        )
        replaying = True
        try:
            async with connect(
                url, host="127.0.0.1", port=port, origin=f"http://{host}", open_timeout=10
            ) as ws:
                self.ws, self.port = ws, port
                async for raw in ws:
                    frame = json.loads(raw)
                    kind = frame["type"]
                    if kind == "hello":
                        for client_id, body in list(self.outbox.items()):
                            await self.send(client_id, body)
                    elif kind == "resumed":
                        replaying = False
                    elif kind == "message":
                        self.side.receive(frame["seq"], replaying)
                    elif kind == "ack":
                        self.outbox.pop(frame["client_id"], None)
                        self.acked[frame["client_id"]] = frame["seq"]
                        self.ack_time.setdefault(frame["client_id"], time.monotonic())
                    elif kind == "error":
                        self.tally.errors[frame["code"]] += 1
                        if frame.get("retry") and frame.get("client_id") in self.outbox:
                            asyncio.get_running_loop().call_later(
                                1 + random.random(), self.resend, frame["client_id"]
                            )
                    if stop.is_set():
                        break
        except ConnectionClosed as exc:
            code = close_code(exc)
            self.tally.closes[code] += 1
            return 0.5 + random.random() * 2 if code in (1012, 4503) else 1.0
        except (OSError, InvalidStatus, TimeoutError) as exc:
            self.tally.closes[f"connect:{type(exc).__name__}"] += 1
            return 1.0
        finally:
            self.ws, self.port = None, None
        return 0.5

    def resend(self, client_id: str) -> None:
        body = self.outbox.get(client_id)
        if body is not None:
            task = asyncio.ensure_future(self.send(client_id, body))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    async def send(self, client_id: str, body: str) -> None:
        ws = self.ws
        if ws is None:
            return
        with contextlib.suppress(ConnectionClosed):
            await ws.send(json.dumps({"type": "message", "client_id": client_id, "body": body}))

    def probe(self) -> None:
        """Send one message now (recovery timing: every chat speaks right after a fault)."""
        if self.sending:
            self.counter += 1
            client_id = f"{self.name}-{self.counter}"
            self.outbox[client_id] = f"probe {self.counter} from {self.name}"
            self.sent_time[client_id] = time.monotonic()
            self.tally.sent += 1
            self.resend(client_id)

    async def send_loop(self, stop: asyncio.Event, interval: float) -> None:
        await asyncio.sleep(random.random() * interval)
        while not stop.is_set():
            if self.sending:
                self.counter += 1
                client_id = f"{self.name}-{self.counter}"
                self.outbox[client_id] = f"message {self.counter} from {self.name}"
                self.sent_time[client_id] = time.monotonic()
                self.tally.sent += 1
                await self.send(client_id, self.outbox[client_id])
            await asyncio.sleep(interval * (0.5 + random.random()))


class Operator:
    """One console: watches its chats and replays after every reconnect."""

    def __init__(
        self,
        host: str,
        session: str,
        cluster: Cluster,
        tally: Tally,
        measured: set[str] | None = None,
    ) -> None:
        self.host, self.session, self.cluster, self.tally = host, session, cluster, tally
        self.sides: dict[str, Side] = defaultdict(lambda: Side(tally))
        # The chats being measured: others are ignored. The fuzz's own chat can land on a
        # measured console mid-way (a fuzzed `transfer` or a supervisor's `reassign` to a
        # real operator id), and its first frame there would count as out of order.
        self.measured = measured
        # While a conversation replays (resume sent, resumed not yet), live frames are held
        # and shown after the replay, as the console does (its `held` map).
        self.resuming: dict[str, list[int]] = {}

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            delay = await self.session_once(stop)
            if not stop.is_set():
                await asyncio.sleep(delay)

    async def session_once(self, stop: asyncio.Event) -> float:
        port = self.cluster.pick()
        host = f"{self.host}:{port}"
        try:
            async with connect(
                f"ws://{host}/ws/operator/",
                host="127.0.0.1",
                port=port,
                origin=f"http://{host}",
                additional_headers={"Cookie": f"sessionid={self.session}"},
                open_timeout=10,
            ) as ws:
                async for raw in ws:
                    frame = json.loads(raw)
                    kind = frame["type"]
                    about = frame.get("conversation")  # an id, or a summary (queue_add)
                    if isinstance(about, dict):
                        about = about.get("id")
                    if self.measured is not None and about and about not in self.measured:
                        continue
                    if kind == "hello":
                        for chat in frame.get("active", []):
                            if self.measured is not None and chat["id"] not in self.measured:
                                continue
                            side = self.sides[chat["id"]]
                            self.resuming[chat["id"]] = []
                            await ws.send(
                                json.dumps(
                                    {
                                        "type": "resume",
                                        "conversation": chat["id"],
                                        "after_seq": side.last,
                                    }
                                )
                            )
                    elif kind == "resumed":
                        held = self.resuming.pop(frame["conversation"], [])
                        side = self.sides[frame["conversation"]]
                        for seq in sorted(held):
                            side.receive(seq, replay=False)
                    elif kind == "message":
                        conversation = frame["conversation"]
                        side = self.sides[conversation]
                        if conversation not in self.resuming:
                            side.receive(frame["seq"], replay=False)
                        elif frame["seq"] <= side.last + 1 or frame["seq"] in side.seen:
                            side.receive(frame["seq"], replay=True)
                        else:
                            self.resuming[conversation].append(frame["seq"])
                    elif kind == "error":
                        self.tally.errors[frame["code"]] += 1
                    if stop.is_set():
                        break
        except ConnectionClosed as exc:
            code = close_code(exc)
            self.tally.closes[code] += 1
            return 0.5 + random.random() * 2 if code in (1012, 4503) else 1.0
        except (OSError, InvalidStatus, TimeoutError) as exc:
            self.tally.closes[f"connect:{type(exc).__name__}"] += 1
            return 1.0
        finally:
            self.resuming.clear()
        return 0.5


async def wait_live_again(
    visitors: list[Visitor],
    operators: dict[str, Operator],
    since: float,
    chats: list[ChatSpec],
    timeout: float,
) -> float | None:
    """Seconds from `since` until every chat's operator has been shown a message the visitor
    sent after `since` (None if that did not happen within `timeout`)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = True
        latest = since
        for visitor, spec in zip(visitors, chats, strict=True):
            side = operators[spec.operator].sides.get(spec.conversation)
            later = [
                visitor.acked[c]
                for c, t in visitor.ack_time.items()
                if t > since and c in visitor.acked
            ]
            shown = [side.first_seen[s] for s in later if side and s in side.first_seen]
            if not shown:
                done = False
                break
            latest = max(latest, min(shown))
        if done:
            return latest - since
        await asyncio.sleep(0.1)
    return None


def http(port: int, host: str, path: str, body: Any = None, raw: bytes | None = None) -> int:
    data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        data=data,
        headers={"Host": host, "Content-Type": "application/json"},
        method="GET" if data is None else "POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as err:
        return err.code
    except OSError:
        return 0


async def config_flood(port: int, host: str, count: int, concurrency: int = 16) -> Counter:
    """`count` anonymous GET /widget/config, `concurrency` at a time, each a cache miss."""
    statuses: Counter = Counter()
    queue = list(range(count))

    async def worker() -> None:
        while queue:
            n = queue.pop()
            path = f"/widget/config?page_url=https%3A%2F%2Fwww.example.gov.uk%2Fp{n}"
            statuses[await asyncio.to_thread(http, port, host, path)] += 1

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return statuses


def report(
    tally: Tally,
    visitors: list[Visitor],
    operators: dict[str, Operator],
    chats: list[ChatSpec],
    stored: dict[str, dict[int, str | None]],
) -> dict[str, Any]:
    """Compare what clients were told and shown with what PostgreSQL holds.

    `stored`: conversation id -> {seq: client_id} of every message row at the end.
    """
    acked = sum(len(v.acked) for v in visitors)
    lost_acks = 0
    seq_reused = 0
    duplicated = 0
    not_shown = 0
    stored_count = 0
    samples: list[str] = []
    for visitor, spec in zip(visitors, chats, strict=True):
        rows = stored.get(spec.conversation, {})
        stored_count += len(rows)
        by_client = Counter(cid for cid in rows.values() if cid)
        duplicated += sum(n - 1 for n in by_client.values() if n > 1)
        for client_id, seq in visitor.acked.items():
            if rows.get(seq) != client_id:
                lost_acks += 1
                if rows.get(seq) is not None:
                    seq_reused += 1  # another message now holds the seq this one was acked as
                samples.append(f"acked {client_id} as {seq}, stored {rows.get(seq)!r}")
        operator_side = operators[spec.operator].sides.get(spec.conversation)
        for seq in rows:
            if seq not in visitor.side.seen:
                not_shown += 1
                samples.append(f"{spec.conversation} seq {seq} not shown to the visitor")
            if operator_side is None or seq not in operator_side.seen:
                not_shown += 1
                samples.append(f"{spec.conversation} seq {seq} not shown to the operator")
    return {
        "sent": tally.sent,
        "acked": acked,
        "stored": stored_count,
        "delivered_live": tally.live,
        "delivered_by_replay": tally.replay,
        "lost": lost_acks + not_shown,
        "lost_acked": lost_acks,
        "not_shown": not_shown,
        "duplicated": duplicated,
        "seq_reused": seq_reused,
        "redundant_frames": tally.redundant,
        "out_of_order": tally.out_of_order,
        "samples": samples[:10],
        "closes": {str(k): v for k, v in sorted(tally.closes.items(), key=str)},
        "errors": dict(tally.errors),
    }
