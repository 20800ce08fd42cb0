#!/usr/bin/env python3
"""Chat round trip against a running `make demo` (visitor <-> operator, through daphne).

    PORT=8765 DEMO_PASSWORD=... python scripts/smoke_demo.py

Talks to 127.0.0.1:$PORT and sets the Host header itself (Python cannot resolve *.localhost):

1. GET /healthz on the public host -> 200 JSON
2. log in as operator `alex` through the council admin's login form -> sessionid cookie
3. operator socket: hello (the operator is now online: with nobody online, a chat is refused)
4. POST /widget/conversations on dorset.localhost -> 201; the chat is assigned to alex
   automatically (or, for a council that picks by hand, alex accepts it from the queue)
5. visitor socket: hello; operator message -> visitor; visitor message -> operator

Exits 0 on success, 1 with a message naming the failing step otherwise. Every network wait is
bounded (SMOKE_TIMEOUT seconds per step, default 15).
"""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import inspect
import json
import os
import re
import sys
import time
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import ConnectionClosed

ROOT = Path(__file__).resolve().parent.parent
PORT = int(os.environ.get("PORT", "8000"))
ADDRESS = os.environ.get("SMOKE_ADDRESS", "127.0.0.1")
TIMEOUT = float(os.environ.get("SMOKE_TIMEOUT", "15"))
COUNCIL_HOST = f"dorset.localhost:{PORT}"
COUNCIL_ORIGIN = f"http://{COUNCIL_HOST}"
OPERATOR = os.environ.get("SMOKE_OPERATOR", "alex")


class SmokeFailure(Exception):
    pass


def step(message: str) -> None:
    print(f"[smoke] {message}", flush=True)


def fail(message: str) -> None:
    raise SmokeFailure(message)


def demo_password() -> str:
    password = os.environ.get("DEMO_PASSWORD", "").strip()
    if not password:
        with contextlib.suppress(OSError):
            password = (ROOT / ".local" / "demo_password").read_text().strip()
    if not password:
        fail("no DEMO_PASSWORD in the environment and no .local/demo_password")
    return password


class Response:
    def __init__(self, status: int, headers: http.client.HTTPMessage, body: bytes):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self, what: str) -> dict:
        try:
            data = json.loads(self.body)
        except ValueError:
            fail(f"{what}: expected JSON, got {self.body[:300]!r}")
        if not isinstance(data, dict):
            fail(f"{what}: expected a JSON object, got {data!r}")
        return data

    def cookies(self) -> dict[str, str]:
        jar: dict[str, str] = {}
        for header in self.headers.get_all("Set-Cookie") or []:
            parsed = SimpleCookie()
            parsed.load(header)
            for name, morsel in parsed.items():
                jar[name] = morsel.value
        return jar


def request(
    method: str, host: str, path: str, *, body: bytes | None = None, headers: dict | None = None
) -> Response:
    conn = http.client.HTTPConnection(ADDRESS, PORT, timeout=TIMEOUT)
    try:
        conn.request(method, path, body=body, headers={"Host": host, **(headers or {})})
        resp = conn.getresponse()
        return Response(resp.status, resp.headers, resp.read())
    except OSError as exc:
        fail(f"{method} http://{host}{path}: {exc}")
    finally:
        conn.close()


def cookie_header(jar: dict[str, str]) -> str:
    return "; ".join(f"{name}={value}" for name, value in jar.items())


# --------------------------------------------------------------------------- HTTP steps


def check_health() -> None:
    resp = request("GET", f"localhost:{PORT}", "/healthz")
    if resp.status != 200:
        fail(f"GET /healthz: HTTP {resp.status}: {resp.body[:300]!r}")
    data = resp.json("GET /healthz")
    step(f"healthz: {data}")


def start_conversation() -> dict:
    payload = {
        "name": "Smoke",
        "message": "hello from smoke",
        "department": "parking",
        "page_url": f"{COUNCIL_ORIGIN}/parking/pay-a-parking-fine",
    }
    resp = request(
        "POST",
        COUNCIL_HOST,
        "/widget/conversations",
        body=json.dumps(payload).encode(),
        headers={"Origin": COUNCIL_ORIGIN, "Content-Type": "application/json"},
    )
    if resp.status != 201:
        fail(f"POST /widget/conversations: HTTP {resp.status}: {resp.body[:500]!r}")
    data = resp.json("POST /widget/conversations")
    for key in ("conversation", "token", "websocket"):
        if not data.get(key):
            fail(f"POST /widget/conversations: no {key!r} in {data}")
    step(f"conversation {data['conversation']} created (status {data.get('status')})")
    return data


def operator_login(password: str) -> dict[str, str]:
    path = "/admin/login/?next=/console/"
    resp = request("GET", COUNCIL_HOST, path)
    if resp.status != 200:
        fail(f"GET {path}: HTTP {resp.status}")
    jar = resp.cookies()
    match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', resp.body)
    if not match or "csrftoken" not in jar:
        fail(f"GET {path}: no CSRF token in the login form/cookies")
    form = urlencode(
        {
            "username": OPERATOR,
            "password": password,
            "csrfmiddlewaretoken": match.group(1).decode(),
            "next": "/console/",
        }
    ).encode()
    resp = request(
        "POST",
        COUNCIL_HOST,
        path,
        body=form,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Referer": f"{COUNCIL_ORIGIN}{path}",
            "Cookie": cookie_header(jar),
        },
    )
    jar.update(resp.cookies())
    if resp.status != 302 or "sessionid" not in jar:
        hint = " (wrong password?)" if resp.status == 200 else ""
        fail(f"login as {OPERATOR!r}: HTTP {resp.status}, no session cookie{hint}")
    location = resp.headers.get("Location", "")
    if "/console/" not in location:
        fail(f"login as {OPERATOR!r}: redirected to {location!r}, not /console/")
    resp = request("GET", COUNCIL_HOST, "/console/", headers={"Cookie": cookie_header(jar)})
    if resp.status != 200:
        fail(f"GET /console/ after login: HTTP {resp.status}")
    step(f"logged in as {OPERATOR!r}; /console/ answers 200")
    return jar


# --------------------------------------------------------------------------- websockets


def ws_target(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return ADDRESS, parts.port or 80


async def ws_open(url: str, what: str, headers: dict | None = None):
    host, port = ws_target(url)
    options = {}
    if "proxy" in inspect.signature(ws_connect).parameters:  # websockets >= 15
        options["proxy"] = None  # never send loopback traffic to an http(s)_proxy
    try:
        return await ws_connect(
            url,
            host=host,
            port=port,
            origin=COUNCIL_ORIGIN,
            additional_headers=headers or {},
            open_timeout=TIMEOUT,
            close_timeout=2,
            **options,
        )
    except Exception as exc:  # InvalidStatus, OSError, TimeoutError, ...
        fail(f"{what}: cannot open {url}: {exc!r}")


async def expect(ws, what: str, predicate) -> dict:
    """Read frames until one satisfies `predicate` (others are skipped); bounded."""
    deadline = time.monotonic() + TIMEOUT
    seen = []
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            fail(f"{what}: timed out after {TIMEOUT:.0f} s; frames seen: {seen}")
        try:
            raw = await asyncio.wait_for(ws.recv(), remaining)
        except TimeoutError:
            continue
        except ConnectionClosed as exc:
            fail(f"{what}: socket closed ({exc}); frames seen: {seen}")
        try:
            frame = json.loads(raw)
        except ValueError:
            fail(f"{what}: not JSON: {raw!r}")
        seen.append(frame)
        if isinstance(frame, dict) and frame.get("type") == "error":
            step(f"  (error frame on {what}: {frame})")
        if isinstance(frame, dict) and predicate(frame):
            return frame


async def chat_round_trip(jar: dict[str, str]) -> None:
    # The operator's console opens first: chats are refused (409 offline) while no operator
    # of the council is online.
    operator_url = f"ws://{COUNCIL_HOST}/ws/operator/"
    operator = await ws_open(operator_url, "operator socket", {"Cookie": cookie_header(jar)})
    visitor = None
    try:
        hello = await expect(operator, "operator hello", lambda f: f.get("type") == "hello")
        step(f"operator hello: presence {hello.get('presence')}")
        conversation = await asyncio.to_thread(start_conversation)
        conv_id = conversation["conversation"]

        def mine_or_queued(frame: dict) -> bool:
            conv = frame.get("conversation") or {}
            return frame.get("type") in ("accepted", "queue_add") and conv.get("id") == conv_id

        arrived = await expect(operator, "the chat reaches the console", mine_or_queued)
        if arrived["type"] == "queue_add":
            # Queued first, then usually assigned automatically a moment later.
            with contextlib.suppress(TimeoutError):
                arrived = await asyncio.wait_for(
                    expect(
                        operator,
                        "automatic assignment",
                        lambda f: (
                            f.get("type") == "accepted"
                            and (f.get("conversation") or {}).get("id") == conv_id
                        ),
                    ),
                    3,
                )
        if arrived["type"] == "queue_add":  # the council picks chats by hand
            await operator.send(json.dumps({"type": "accept", "conversation": conv_id}))

            def accepted(frame: dict) -> bool:
                if frame.get("type") == "error":
                    fail(f"accept refused: {frame}")
                return frame.get("type") == "accepted" and (
                    (frame.get("conversation") or {}).get("id") == conv_id
                )

            await expect(operator, "operator accept", accepted)
            step("operator accepted the conversation")
        else:
            step(f"the conversation was assigned to the operator ({arrived.get('reason')})")

        visitor = await ws_open(conversation["websocket"], "visitor socket")
        hello = await expect(visitor, "visitor hello", lambda f: f.get("type") == "hello")
        step(f"visitor hello: status {hello.get('status')}, last_seq {hello.get('last_seq')}")

        reply = "reply from operator"
        await operator.send(
            json.dumps(
                {"type": "message", "conversation": conv_id, "client_id": "op-1", "body": reply}
            )
        )
        await expect(
            operator,
            "operator ack",
            lambda f: f.get("type") == "ack" and f.get("client_id") == "op-1",
        )
        await expect(
            visitor,
            "visitor receives the operator's message",
            lambda f: f.get("type") == "message" and f.get("body") == reply,
        )
        step("visitor received the operator's reply")

        answer = "thanks, from the visitor"
        await visitor.send(json.dumps({"type": "message", "client_id": "v-1", "body": answer}))
        await expect(
            visitor,
            "visitor ack",
            lambda f: f.get("type") == "ack" and f.get("client_id") == "v-1",
        )
        await expect(
            operator,
            "operator receives the visitor's message",
            lambda f: (
                f.get("type") == "message"
                and f.get("conversation") == conv_id
                and f.get("body") == answer
            ),
        )
        step("operator received the visitor's message")
    finally:
        for ws in (visitor, operator):
            if ws is not None:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(ws.close(), 5)


def main() -> int:
    started = time.monotonic()
    try:
        password = demo_password()
        check_health()
        jar = operator_login(password)
        asyncio.run(asyncio.wait_for(chat_round_trip(jar), 6 * TIMEOUT))
    except SmokeFailure as exc:
        print(f"[smoke] FAILED: {exc}", file=sys.stderr, flush=True)
        return 1
    except TimeoutError:
        print("[smoke] FAILED: the chat round trip timed out", file=sys.stderr, flush=True)
        return 1
    step(f"OK: chat round trip on port {PORT} in {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
