"""The soak's hostile clients run in a process of their own (bench/fuzz.py `Attacker`), so
the healthy chat's measured round trip does not include the attacker's work on the
measuring client's event loop. Here against a small websocket server in this process."""

from __future__ import annotations

import asyncio
import json
import os

from websockets.asyncio.server import serve

from bench.faults import ChatSpec
from bench.fuzz import Attacker


def test_the_attackers_frames_are_sent_from_another_process_and_what_came_back_is_counted():
    received: list[str] = []

    async def handler(ws) -> None:
        async for raw in ws:
            received.append(raw)
            await ws.send(json.dumps({"type": "error", "code": "invalid_frame"}))

    async def main():
        async with serve(handler, "127.0.0.1", 0) as server:
            port = server.sockets[0].getsockname()[1]
            attacker = Attacker()
            try:
                child = attacker.pool.submit(os.getpid).result()
                outcomes = await attacker.run(
                    [(f"ws://127.0.0.1:{port}/", port, "http://127.0.0.1", ["a", "b", "c"], None)],
                    (port, ChatSpec("x.localhost", "conv", "token", "op"), []),
                )
            finally:
                attacker.close()
            return child, outcomes

    child, (socket_outcome, post_outcome) = asyncio.run(main())
    assert child != os.getpid()
    assert sorted(received) == ["a", "b", "c"]
    assert socket_outcome["sent"] == 3
    assert socket_outcome["error:invalid_frame"] == 3
    assert not post_outcome
