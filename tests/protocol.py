"""The protocol contract, checked on every websocket frame the test suite sends or receives,
and on every answer of a widget HTTP endpoint.

`chat.protocol` holds a JSON Schema for every frame of both sockets in both directions. This
plugin (loaded by tests/conftest.py) wraps the websocket test client, so any frame the
server sends that its schema refuses, or that has no schema, fails the test at once. Frames a
test sends are checked too; a test that sends frames the protocol refuses on purpose (to
see the server's `error`) is marked `@pytest.mark.invalid_frames`.
"""

from __future__ import annotations

import json

import pytest
from channels.testing import WebsocketCommunicator
from django.test import Client

from chat.protocol import validate_client_frame, validate_server_frame
from widgets.protocol import endpoint_for, validate_response


def _socket_kind(comm: WebsocketCommunicator) -> str | None:
    path = comm.scope.get("path", "")
    if path.startswith("/ws/visitor/"):
        return "visitor"
    if path.startswith("/ws/operator/"):
        return "operator"
    if path.startswith("/ws/supervisor/"):
        return "supervisor"
    return None  # unknown paths only ever answer with a refusal


@pytest.fixture(autouse=True)
def protocol_contract(request, monkeypatch):
    allow_invalid = request.node.get_closest_marker("invalid_frames") is not None
    send_to = WebsocketCommunicator.send_to
    receive_from = WebsocketCommunicator.receive_from

    async def checked_send_to(self, text_data=None, bytes_data=None):
        kind = _socket_kind(self)
        if kind is not None and not allow_invalid:
            assert text_data is not None, "binary frame sent: mark the test invalid_frames"
            try:
                frame = json.loads(text_data)
            except ValueError:
                frame = text_data
            problem = validate_client_frame(kind, frame)
            assert problem is None, (
                f"{kind} client frame breaks chat/protocol.py: {problem[:300]}\n"
                f"{repr(frame)[:300]}\n"
                "(sent on purpose? mark the test @pytest.mark.invalid_frames)"
            )
        return await send_to(self, text_data=text_data, bytes_data=bytes_data)

    async def checked_receive_from(self, timeout=1):
        data = await receive_from(self, timeout)
        kind = _socket_kind(self)
        if kind is not None:
            frame = json.loads(data) if isinstance(data, str) else data
            problem = validate_server_frame(kind, frame)
            assert problem is None, (
                f"{kind} server frame breaks chat/protocol.py: {problem[:300]}\n{repr(frame)[:300]}"
            )
        return data

    monkeypatch.setattr(WebsocketCommunicator, "send_to", checked_send_to)
    monkeypatch.setattr(WebsocketCommunicator, "receive_from", checked_receive_from)

    generic = Client.generic

    def checked_generic(self, method, path, data="", content_type="", *args, **kwargs):
        response = generic(self, method, path, data, content_type, *args, **kwargs)
        endpoint = endpoint_for(method, path.split("?")[0])
        if endpoint is None or method == "OPTIONS":
            return response
        body = json.loads(response.content) if response.content else None
        problem = validate_response(endpoint, response.status_code, body)
        assert problem is None, (
            f"{endpoint} {response.status_code} breaks widgets/protocol.py: {problem[:300]}\n"
            f"{repr(body)[:300]}"
        )
        return response

    monkeypatch.setattr(Client, "generic", checked_generic)
