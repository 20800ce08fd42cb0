"""A small Graph API stand-in on 127.0.0.1 for tests and the demo (speaks the real shapes).

    python -m social.graph_standin --port 8765

Serves, under any version prefix (/v26.0/...):
  POST /me/messages                  Messenger Send API  -> {"recipient_id", "message_id"}
  POST /<phone_number_id>/messages   WhatsApp Cloud API  -> {"messages": [{"id": "wamid..."}]}
  GET  /me                           the Page of a token  (tokens look like "standin-<id>")
  GET  /<phone_number_id>            a number's details
  GET  /<media_id>                   {"url": ".../__media__/<id>", "mime_type", ...}
  GET  /__media__/<id>               the media bytes (needs the Bearer token)
Control (not part of Meta's API):
  GET  /__control__/sent             every send it accepted, oldest first
  POST /__control__/fail             {"count": N, "status": 500}: fail the next N API calls
  POST /__control__/media            {"id", "content_type", "data" (base64), "redirect_to"?}
  POST /__control__/delivered        {"message_id"}: note that the resident's phone got it
  POST /__control__/reset            forget everything
A token of the form "standin-<id>" is accepted; anything else gets Graph error 190.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import itertools
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

VERSION = re.compile(r"^/v\d+\.\d+(?=/)")


class State:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.fail_next = 0
        self.fail_status = 500
        self.media: dict[str, dict[str, Any]] = {}
        self.counter = itertools.count(1)
        self.calls = 0


class Handler(BaseHTTPRequestHandler):
    server_version = "GraphStandIn/1"
    state: State

    def log_message(self, *args) -> None:  # quiet: tests and the demo log enough
        pass

    # --- helpers ---------------------------------------------------------------------
    def _json(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _read(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            return json.loads(raw or b"{}")
        except ValueError:
            return None

    def _token(self) -> str:
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Bearer "):
            return auth[7:]
        query = urlsplit(self.path).query
        for part in query.split("&"):
            if part.startswith("access_token="):
                return part.split("=", 1)[1]
        return ""

    def _path(self) -> str:
        return VERSION.sub("", urlsplit(self.path).path)

    def _auth_error(self) -> None:
        self._json(
            401,
            {
                "error": {
                    "message": "Invalid OAuth access token.",
                    "type": "OAuthException",
                    "code": 190,
                }
            },
        )

    def _should_fail(self) -> bool:
        with self.state.lock:
            self.state.calls += 1
            if self.state.fail_next > 0:
                self.state.fail_next -= 1
                return True
        return False

    def _fail(self) -> None:
        self._json(
            self.state.fail_status,
            {"error": {"message": "Stand-in told to fail", "type": "OAuthException", "code": 2}},
        )

    # --- routes ----------------------------------------------------------------------
    def do_GET(self) -> None:
        path = self._path()
        if path == "/__control__/sent":
            with self.state.lock:
                return self._json(200, {"sent": list(self.state.sent), "calls": self.state.calls})
        if path.startswith("/__media__/"):
            media = self.state.media.get(path.rsplit("/", 1)[-1])
            if media is None or not self._token().startswith("standin-"):
                return self._json(404, {"error": {"message": "no such media", "code": 100}})
            if media.get("redirect_to"):
                self.send_response(302)
                self.send_header("Location", media["redirect_to"])
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            data = media["data"]
            self.send_response(200)
            self.send_header("Content-Type", media["content_type"])
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        if self._should_fail():
            return self._fail()
        token = self._token()
        if not token.startswith("standin-"):
            return self._auth_error()
        node = path.strip("/")
        if node == "me":
            return self._json(200, {"id": token.rsplit("-", 1)[-1], "name": "Stand-in Page"})
        if node in self.state.media:
            media = self.state.media[node]
            host = self.headers.get("Host", "127.0.0.1")
            return self._json(
                200,
                {
                    "url": media.get("url") or f"http://{host}/__media__/{node}",
                    "mime_type": media["content_type"],
                    "file_size": len(media["data"]),
                    "id": node,
                    "messaging_product": "whatsapp",
                },
            )
        if node.isdigit():
            return self._json(
                200,
                {
                    "id": node,
                    "display_phone_number": "+44 7700 900000",
                    "verified_name": "Stand-in",
                },
            )
        return self._json(404, {"error": {"message": "Unknown path", "code": 803}})

    def do_POST(self) -> None:
        path = self._path()
        body = self._read()
        if path.startswith("/__control__/"):
            return self._control(path.rsplit("/", 1)[-1], body if isinstance(body, dict) else {})
        if self._should_fail():
            return self._fail()
        if not self._token().startswith("standin-"):
            return self._auth_error()
        if not isinstance(body, dict):
            return self._json(400, {"error": {"message": "Invalid JSON", "code": 100}})
        node = path.strip("/").split("/")
        if node == ["me", "messages"]:
            recipient = (body.get("recipient") or {}).get("id")
            mid = f"m_standin_{next(self.state.counter)}_{int(time.time() * 1000)}"
            self._record("messenger", "me", recipient, mid, body)
            return self._json(200, {"recipient_id": recipient, "message_id": mid})
        if len(node) == 2 and node[1] == "messages" and node[0].isdigit():
            if body.get("messaging_product") != "whatsapp":
                return self._json(400, {"error": {"message": "messaging_product", "code": 100}})
            wamid = f"wamid.STANDIN{next(self.state.counter):08d}"
            self._record("whatsapp", node[0], body.get("to"), wamid, body)
            return self._json(
                200,
                {
                    "messaging_product": "whatsapp",
                    "contacts": [{"input": body.get("to"), "wa_id": body.get("to")}],
                    "messages": [{"id": wamid}],
                },
            )
        return self._json(404, {"error": {"message": "Unknown path", "code": 803}})

    def _record(
        self, channel: str, account: str, recipient: Any, message_id: str, body: dict
    ) -> None:
        with self.state.lock:
            self.state.sent.append(
                {
                    "channel": channel,
                    "account": account,
                    "recipient": recipient,
                    "message_id": message_id,
                    "body": body,
                    "at": time.time(),
                    "delivered": False,
                }
            )

    def _control(self, action: str, body: dict) -> None:
        with self.state.lock:
            if action == "reset":
                self.state.reset()
            elif action == "fail":
                self.state.fail_next = int(body.get("count", 1))
                self.state.fail_status = int(body.get("status", 500))
            elif action == "media":
                self.state.media[str(body["id"])] = {
                    "content_type": body.get("content_type", "application/octet-stream"),
                    "data": base64.b64decode(body.get("data", "")),
                    "redirect_to": body.get("redirect_to"),
                    "url": body.get("url"),
                }
            elif action == "delivered":
                for sent in self.state.sent:
                    if sent["message_id"] == body.get("message_id"):
                        sent["delivered"] = True
            else:
                return self._json(404, {"error": "unknown control"})
        self._json(200, {"ok": True})


def serve(port: int = 0, host: str = "127.0.0.1") -> ThreadingHTTPServer:
    """Start the stand-in in a background thread; returns the server (server_port)."""
    handler = type("BoundHandler", (Handler,), {"state": State()})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="graph-standin", daemon=True).start()
    return server


def main() -> None:
    parser = argparse.ArgumentParser(description="Graph API stand-in for tests and the demo")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args()
    handler = type("BoundHandler", (Handler,), {"state": State()})
    server = ThreadingHTTPServer((args.host, args.port), handler)
    print(f"Graph API stand-in on http://{args.host}:{server.server_port}/v26.0", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()


if __name__ == "__main__":
    main()
