"""Bytes Django's test client cannot send, to our web server as the production image runs
it (reliability.serve): a negative, huge or non-numeric Content-Length, two of them, a
broken chunked body, a Host with a NUL or of 8 KiB, non-UTF-8 bytes in the path, path
traversal toward files (static, attachments, social media), and websocket handshakes with a
bad Origin or Host. Never a 500, never a crashed server: it serves the next request as usual.
"""

from __future__ import annotations

import os
import socket
import urllib.request

import pytest

from tests.factories import chat_in
from tests.reliability.live import Daphne, daphne_env, django_database_url

pytestmark = [pytest.mark.usefixtures("manual_assignment"), pytest.mark.live_server]


@pytest.fixture(scope="module")
def daphne(councils):
    server = Daphne(env=daphne_env(django_database_url(), os.environ["REDIS_URL"])).start()
    yield server
    server.kill()


def raw_request(port: int, data: bytes, timeout: float = 5) -> bytes:
    """Send `data` as it is; the whole answer (b"" if the server closed without one, or
    still waits for the body a Content-Length promised)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        answer = b""
        try:
            while len(answer) < 1_000_000:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                answer += chunk
        except (TimeoutError, ConnectionResetError):
            pass
    return answer


def status_line(answer: bytes) -> bytes:
    return answer.split(b"\r\n", 1)[0]


def request(method: str, path: bytes, host: bytes, headers: list[bytes], body: bytes = b""):
    lines = [method.encode() + b" " + path + b" HTTP/1.1", b"Host: " + host, *headers]
    if not any(h.startswith(b"Upgrade") for h in headers):
        lines.append(b"Connection: close")
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def healthy(daphne: Daphne) -> bool:
    config = urllib.request.Request(
        f"http://127.0.0.1:{daphne.port}/widget/config", headers={"Host": "alpha.localhost"}
    )
    with urllib.request.urlopen(config, timeout=10) as response:
        return response.status == 200


def test_hostile_bytes_on_the_wire_never_answer_500_and_the_server_keeps_serving(councils, daphne):
    chat = chat_in(councils.alpha)
    json_type = b"Content-Type: application/json"
    bearer = b"Authorization: Bearer " + chat.token.encode()
    attachments = f"/widget/conversations/{chat.id}/attachments".encode()
    cases = {
        "negative length": request(
            "POST", b"/widget/conversations", b"alpha.localhost", [json_type, b"Content-Length: -5"]
        ),
        "huge length, short body": request(
            "POST",
            b"/widget/conversations",
            b"alpha.localhost",
            [json_type, b"Content-Length: 99999999999999999999"],
            b'{"name": "Jo"}',
        ),
        "length not a number": request(
            "POST", b"/widget/enquiries", b"alpha.localhost", [json_type, b"Content-Length: ten"]
        ),
        "two lengths": request(
            "POST",
            b"/widget/conversations",
            b"alpha.localhost",
            [json_type, b"Content-Length: 2", b"Content-Length: 40"],
            b"{}",
        ),
        "broken chunks": request(
            "POST",
            b"/widget/conversations",
            b"alpha.localhost",
            [json_type, b"Transfer-Encoding: chunked"],
            b"zz\r\nnot hex\r\n0\r\n\r\n",
        ),
        "multipart, huge length": request(
            "POST",
            attachments,
            b"alpha.localhost",
            [bearer, b"Content-Type: multipart/form-data; boundary=B", b"Content-Length: 2"],
            b"--",
        ),
        "multipart, bad boundary": request(
            "POST",
            attachments,
            b"alpha.localhost",
            [bearer, b"Content-Type: multipart/form-data; boundary=", b"Content-Length: 8"],
            b"--x\r\n--x",
        ),
        "NUL in the Host": request("GET", b"/widget/config", b"alpha\x00.localhost", []),
        "8 KiB Host": request("GET", b"/widget/config", b"a" * 8192 + b".localhost", []),
        "no Host": b"GET /widget/config HTTP/1.1\r\nConnection: close\r\n\r\n",
        "non-UTF-8 path": request(
            "GET", b"/widget/config\xff\xfe?lang=\xc3", b"alpha.localhost", []
        ),
        "non-UTF-8 header": request(
            "GET", b"/widget/config", b"alpha.localhost", [b"Origin: http://\xff\xfe"]
        ),
        "HTTP/1.0, no Host": b"GET /healthz HTTP/1.0\r\n\r\n",
        "not HTTP": b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 64,
    }
    traversals = [
        b"/static/../config/settings.py",
        b"/static/%2e%2e/%2e%2e/config/settings.py",
        b"/static/..%2f..%2fconfig%2fsettings.py",
        b"/widget/attachments/..%2F..%2Fetc%2Fpasswd",
        b"/console/attachments/../../etc/passwd",
        b"/social/media/..%2f..%2fsettings.py/",
        b"/favicon.ico/../../etc/passwd",
        b"/widget/embed.js/..%00/settings.py",
    ]
    for n, path in enumerate(traversals):
        cases[f"traversal {n}"] = request("GET", path, b"alpha.localhost", [])
    websocket = [
        b"Connection: Upgrade",
        b"Upgrade: websocket",
        b"Sec-WebSocket-Version: 13",
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
    ]
    for origin in (b"null", b"http://evil.example", b"\xff\xfe", b"x" * 5000):
        for path in (b"/ws/operator/", b"/ws/supervisor/", f"/ws/visitor/{chat.id}/".encode()):
            cases[f"socket {path!r} origin {origin[:8]!r}"] = request(
                "GET", path, b"alpha.localhost", [*websocket, b"Origin: " + origin]
            )
    cases["socket, unknown host"] = request(
        "GET", b"/ws/operator/", b"evil.example", [*websocket, b"Origin: http://evil.example"]
    )
    answers = {name: raw_request(daphne.port, data) for name, data in cases.items()}
    statuses = {name: status_line(answer) for name, answer in answers.items()}
    assert not [n for n, status in statuses.items() if b" 500" in status], statuses
    # Each was answered (a status), except a body still awaited and what is not HTTP at all.
    unanswered = {n for n, status in statuses.items() if not status.startswith(b"HTTP/1.")}
    assert unanswered <= {"huge length, short body", "not HTTP"}, statuses
    leaked = [
        name
        for name, answer in answers.items()
        if b"root:x:0:0" in answer or b"SECRET_KEY" in answer or b"DATABASES" in answer
    ]
    assert leaked == [], leaked
    assert healthy(daphne)
    assert "Traceback" not in daphne.output(), daphne.output()[-3000:]
