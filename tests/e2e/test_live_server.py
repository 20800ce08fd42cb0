"""The whole path over a real daphne process, as a widget and a console would use it."""

from __future__ import annotations

import asyncio
import json
import urllib.request

import pytest
from websockets.asyncio.client import connect

from tests.factories import operator_in
from tests.sockets import login_session_unsafe

pytestmark = [pytest.mark.usefixtures("staffed"), pytest.mark.live_server]


def post_json(daphne_server, host: str, path: str, body: dict) -> tuple[int, dict]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{daphne_server.port}{path}",
        data=json.dumps(body).encode(),
        headers={
            "Host": f"{host}:{daphne_server.port}",
            "Content-Type": "application/json",
            "Origin": f"http://{host}:{daphne_server.port}",
        },
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


async def frame_of_type(ws, frame_type: str) -> dict:
    while True:
        frame = json.loads(await asyncio.wait_for(ws.recv(), 10))
        if frame["type"] == frame_type:
            return frame


def test_a_chat_started_on_the_partnership_site_reaches_its_council_and_the_reply_comes_back(
    councils, daphne_server
):
    operator_in(councils.beta, "alex", first_name="Alex", last_name="Morgan")
    session = login_session_unsafe(councils.beta, "alex")
    status, started = post_json(
        daphne_server,
        councils.partnership_host,
        "/widget/conversations",
        {
            "name": "Robin",
            "message": "Is the tip open on Sunday?",
            "council": "beta",
            "page_url": f"http://{councils.partnership_host}/",
        },
    )
    assert status == 201, started
    port = daphne_server.port

    async def round_trip() -> None:
        console_host = f"beta.localhost:{port}"
        async with (
            connect(
                f"ws://{console_host}/ws/operator/",
                host="127.0.0.1",
                port=port,
                proxy=None,
                origin=f"http://{console_host}",
                additional_headers={"Cookie": f"sessionid={session}"},
            ) as operator,
            connect(
                started["websocket"],
                host="127.0.0.1",
                port=port,
                proxy=None,
                origin=f"http://{councils.partnership_host}:{port}",
            ) as visitor,
        ):
            hello = await frame_of_type(operator, "hello")
            assert started["conversation"] in [c["id"] for c in hello["queue"]]
            assert (await frame_of_type(visitor, "hello"))["status"] == "queued"

            await operator.send(
                json.dumps({"type": "accept", "conversation": started["conversation"]})
            )
            assert (await frame_of_type(visitor, "status"))[
                "operator"
            ] == "Alex"  # the first name (issue 15)
            await operator.send(
                json.dumps(
                    {
                        "type": "message",
                        "conversation": started["conversation"],
                        "client_id": "op1",
                        "body": "Yes, 9 to 4.",
                    }
                )
            )
            reply = await frame_of_type(visitor, "message")
            while reply["author"] != "operator":
                reply = await frame_of_type(visitor, "message")
            assert reply["body"] == "Yes, 9 to 4."

            await visitor.send(
                json.dumps({"type": "message", "client_id": "v1", "body": "Thanks <b>so</b> much"})
            )
            ack = await frame_of_type(visitor, "ack")
            received = await frame_of_type(operator, "message")
            while received["author"] != "visitor":
                received = await frame_of_type(operator, "message")
            assert received["body"] == "Thanks <b>so</b> much"  # text, never markup
            assert received["seq"] == ack["seq"]

    asyncio.run(round_trip())
