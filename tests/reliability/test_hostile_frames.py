"""Hostile frames on every websocket: the widget's, the operator console's and the
supervisor view's (issue 12, rechecked after tags, presence and ping frames, the
assistant's handoff and feedback, and the supervisor socket were added).

Two kinds of frame, both generated from chat.protocol's schemas (bench/fuzz.py), so a frame
type added later is fuzzed without anyone listing it:

* refused: an accepted frame spoiled with an unknown field, a NUL, a lone surrogate, a number
  out of range or nesting too deep. Each gets a validation error frame, and nothing in the
  council's schema changes (every table's row count is compared);
* accepted by the schema, at its edges (real, foreign and unknown ids; bounds; every enum
  value): these reach the handlers. None may crash one: no `internal_error` frame, no 1011
  close, and the socket keeps serving.

`make soak` runs the same generators at 10,000 frames over a real daphne (bench/fuzz.py).
"""

from __future__ import annotations

import json
import os
import uuid
from collections import Counter

import pytest
from asgiref.sync import sync_to_async
from django.db import connection

from bench.fuzz import collect, refused_frames, schema_frames
from tests.conftest import put_online
from tests.factories import accepted_chat_in, chat_in, operator_in
from tests.sockets import login_session_unsafe, open_socket, operator_socket, visitor_socket

pytestmark = [pytest.mark.usefixtures("manual_assignment"), pytest.mark.invalid_frames]

FRAMES = int(os.environ.get("HOSTILE_FRAMES", "120"))  # per socket and kind
VALIDATION_CODES = {"invalid_frame", "invalid_json", "unknown_type", "frame_too_large"}


def row_counts(schema: str) -> dict[str, int]:
    """Every table of a council's schema and its exact row count."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = %s ORDER BY tablename", [schema]
        )
        tables = [row[0] for row in cursor.fetchall()]
        counts = {}
        for table in tables:
            cursor.execute(f'SELECT count(*) FROM "{schema}"."{table}"')  # noqa: S608
            counts[table] = cursor.fetchone()[0]
    return counts


@sync_to_async
def setting_up(councils) -> dict:
    alpha = councils.alpha
    fuzzer = operator_in(alpha, "fuzzer")
    put_online(alpha, "fuzzer")
    chris = operator_in(alpha, "chris", is_superuser=True)  # may supervise
    accepted = accepted_chat_in(alpha, fuzzer)
    queued = chat_in(alpha)
    foreign = chat_in(councils.beta)
    return {
        "alpha": alpha,
        "chat": accepted,
        "sessions": {
            "operator": login_session_unsafe(alpha, "fuzzer"),
            "supervisor": login_session_unsafe(alpha, "chris"),
        },
        "ids": {
            "uuid": [str(accepted.id), str(queued.id), str(foreign.id), str(uuid.uuid4())],
            "int": [1, 2, fuzzer.id, chris.id, 2**31, 2**53 - 1],
            "text": ["parking", "highways", "beta", "gamma", "alpha", "urgent"],
        },
    }


def socket_for(kind: str, setup: dict):
    alpha, chat = setup["alpha"], setup["chat"]
    if kind == "visitor":
        return visitor_socket(chat.id, chat.token, host=alpha.hosts[0])
    comm = operator_socket(alpha, setup["sessions"][kind])
    if kind == "supervisor":
        comm.scope["path"] = "/ws/supervisor/"
    return comm


async def answers(comm, quiet_for: float = 0.3) -> tuple[list[dict], int | None]:
    """Every frame until the socket is quiet, and its close code if it closed."""
    frames = []
    while not await comm.receive_nothing(timeout=quiet_for):
        output = await comm.receive_output()
        if output["type"] == "websocket.close":
            return frames, output.get("code", 1000)
        frames.append(json.loads(output["text"]))
    return frames, None


@pytest.mark.parametrize("kind", ["visitor", "operator", "supervisor"])
async def test_refused_frames_get_a_validation_error_each_and_change_nothing_stored(
    councils, settings, kind
):
    settings.FRAME_RATE_BURST = 10**6  # every frame reaches validation (the budget: elsewhere)
    setup = await setting_up(councils)
    frames = collect(refused_frames(kind, setup["ids"]), FRAMES, seed=12)
    comm = socket_for(kind, setup)
    await open_socket(comm)
    await answers(comm)
    before = await sync_to_async(row_counts)(setup["alpha"].schema_name)
    codes: Counter = Counter()
    for batch in range(0, len(frames), 20):
        for raw in frames[batch : batch + 20]:
            await comm.send_to(text_data=raw)
        got, closed = await answers(comm)
        assert closed is None, f"{kind} socket closed with {closed}"
        codes.update(f["code"] for f in got if f["type"] == "error")
    assert set(codes) <= VALIDATION_CODES, codes
    assert sum(codes.values()) == len(frames), codes
    after = await sync_to_async(row_counts)(setup["alpha"].schema_name)
    assert {t: (before[t], n) for t, n in after.items() if before.get(t) != n} == {}
    await comm.disconnect()


@pytest.mark.parametrize("kind", ["visitor", "operator", "supervisor"])
async def test_frames_the_schema_accepts_never_crash_a_handler_or_close_with_1011(
    councils, settings, kind
):
    settings.FRAME_RATE_BURST = 10**6
    setup = await setting_up(councils)
    frames = collect(schema_frames(kind, setup["ids"]), FRAMES, seed=13)
    # Frames that end the chat go last, so the others meet a chat in progress.
    frames.sort(key=lambda raw: json.loads(raw)["type"] == "end")
    outcome: Counter = Counter()
    comm = socket_for(kind, setup)
    await open_socket(comm)
    for batch in range(0, len(frames), 10):
        for raw in frames[batch : batch + 10]:
            await comm.send_to(text_data=raw)
        got, closed = await answers(comm)
        outcome.update(f"{f['type']}:{f.get('code', '')}" for f in got)
        if closed is not None:  # e.g. the chat moved away: a reason, never a crash
            outcome[f"close:{closed}"] += 1
            assert closed != 1011, outcome
            comm = socket_for(kind, setup)
            await open_socket(comm)
    assert not [k for k in outcome if k.startswith("error:internal_error")], outcome
    assert "close:1011" not in outcome
    # Still serving: a frame of its own kind answered as usual.
    probe = {"visitor": {"type": "ping"}, "operator": {"type": "sync"}}.get(kind, {"type": "sync"})
    await comm.send_json_to(probe)
    got, closed = await answers(comm, quiet_for=1.0)
    assert closed is None and got, outcome
    await comm.disconnect()
