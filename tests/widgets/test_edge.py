"""Malformed widget POSTs are refused before Django (widgets/edge.py), with exactly the
answer Django's view gives; everything else still reaches Django."""

from __future__ import annotations

import json
import logging
import uuid

import pytest
from asgiref.testing import ApplicationCommunicator

from tests.reliability.test_capacity import http_scope
from widgets.edge import EDGE_MAX_BODY, JSON_POSTS

pytestmark = pytest.mark.usefixtures("committed")

ORIGIN = b"https://www.alpha.gov.uk"
CHAT = str(uuid.uuid4())
PATHS = [
    "/widget/conversations",
    "/widget/enquiries",
    f"/widget/conversations/{CHAT}/rating",
    f"/widget/conversations/{CHAT}/transcript",
    f"/widget/conversations/{CHAT}/end",
]
MALFORMED = [
    b"[1, 2",  # not JSON
    b'{"name": 5, "token": 5}',  # a number where text belongs (each path has one)
    b'{"token": "a\\u0000b"}',  # NUL
    b'{"a": [[[[[[[[1]]]]]]]]}',  # too deep
    b"[]",  # not an object
]


def scope(path: str, body: bytes, origin: bytes | None = ORIGIN, host: bytes = b"alpha.localhost"):
    headers = [(b"content-type", b"application/json")]
    headers.append((b"content-length", str(len(body)).encode()))
    if origin is not None:
        headers.append((b"origin", origin))
    return http_scope(path, host=host, method="POST", headers=headers)


async def post(app, path: str, body: bytes, **kwargs) -> tuple[int, dict[str, str], bytes]:
    comm = ApplicationCommunicator(app, scope(path, body, **kwargs))
    await comm.send_input({"type": "http.request", "body": body, "more_body": False})
    start = await comm.receive_output(timeout=30)
    content = b""
    while True:
        message = await comm.receive_output(timeout=30)
        content += message.get("body", b"")
        if not message.get("more_body"):
            break
    await comm.wait(timeout=5)
    headers = {k.decode().lower(): v.decode() for k, v in start["headers"]}
    return start["status"], headers, content


def test_every_json_post_of_the_widget_is_covered_and_nothing_else():
    covered = [p for p in PATHS if any(pattern.fullmatch(p) for pattern, _ in JSON_POSTS)]
    assert covered == PATHS
    for other in ("/widget/config", f"/widget/conversations/{CHAT}/attachments", "/admin/"):
        assert not any(pattern.fullmatch(other) for pattern, _ in JSON_POSTS)


@pytest.mark.parametrize("path", PATHS)
async def test_a_malformed_body_gets_the_views_own_400_without_reaching_django(path, caplog):
    """Same status, body and headers (CORS and security) as Django's answer, and Django
    never sees it: its request log, which warns of every 400, stays silent."""
    from config.asgi import application, django_asgi_app

    for body in MALFORMED:
        with caplog.at_level(logging.WARNING, logger="django.request"):
            caplog.clear()
            from_django = await post(django_asgi_app, path, body)  # also caches the host
            assert from_django[0] == 400, (body, from_django)
            assert any("Bad Request" in r.getMessage() for r in caplog.records)
            caplog.clear()
            from_edge = await post(application, path, body)
            assert not caplog.records, (body, caplog.records)
        assert from_edge == from_django, body
        answer = json.loads(from_edge[2])
        assert answer["error"] == "invalid_input"
        assert from_edge[1]["access-control-allow-origin"] == ORIGIN.decode()


async def test_a_well_formed_chat_start_goes_on_to_django_and_starts_the_chat(staffed):
    from config.asgi import application

    body = json.dumps({"name": "Ann", "message": "My bin was missed"}).encode()
    status, headers, content = await post(application, "/widget/conversations", body)
    assert status == 201, content
    assert json.loads(content)["token"]
    assert headers["access-control-allow-origin"] == ORIGIN.decode()


async def test_what_the_edge_cannot_judge_is_left_to_django(caplog):
    """An origin the council does not allow (Django's 403), a host it has not loaded, and a
    body over the edge's size are all answered by Django, as before."""
    from config.asgi import application

    status, _, content = await post(
        application, "/widget/conversations", b"[1", origin=b"https://evil.example"
    )
    assert status == 403 and json.loads(content)["error"] == "origin_not_allowed"

    with caplog.at_level(logging.WARNING, logger="django.request"):
        big = b'{"name": "' + b"a" * EDGE_MAX_BODY + b'", "x": [1'
        status, _, content = await post(application, "/widget/conversations", big)
        assert status == 400 and json.loads(content)["error"] == "invalid_input"
        assert any("Bad Request" in r.getMessage() for r in caplog.records)

        caplog.clear()
        status, _, _ = await post(application, "/widget/conversations", b"[1", host=b"nowhere.test")
        assert status == 400  # DisallowedHost, from Django
        assert caplog.records
