"""The floors: the same stack with nothing of ours in it, served by daphne in the same run.

* `/echo/`: a bare Channels consumer that sends every frame back (no database, no groups).
* `/hop/`: the same, but each frame goes through one channel-layer group first (a Redis
  round trip through channels_redis, as every chat message does).

`python -m daphne bench.floors:application`. HTTP answers 200 to anything (health checks).
"""

from __future__ import annotations

import os
import uuid
from urllib.parse import parse_qs

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
django.setup()

from channels.generic.websocket import AsyncWebsocketConsumer  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import path  # noqa: E402

from bench.instrument import stats_http  # noqa: E402


class EchoConsumer(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        await self.accept()

    async def receive(self, text_data=None, bytes_data=None) -> None:
        await self.send(text_data=text_data)


class GroupHopConsumer(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        self.group = f"hop.{uuid.uuid4().hex}"
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None) -> None:
        await self.channel_layer.group_send(self.group, {"type": "hop", "text": text_data})

    async def hop(self, event) -> None:
        await self.send(text_data=event["text"])


class FanConsumer(AsyncWebsocketConsumer):
    """Every socket of `/fan/?room=R` is in one group; a frame sent by one reaches all."""

    async def connect(self) -> None:
        query = parse_qs(self.scope["query_string"].decode())
        self.group = f"fan.{query.get('room', ['all'])[0]}"
        self.watch = query.get("watch") == ["1"]
        if self.watch:
            await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if self.watch:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None) -> None:
        await self.channel_layer.group_send(self.group, {"type": "hop", "text": text_data})

    async def hop(self, event) -> None:
        await self.send(text_data=event["text"])


application = ProtocolTypeRouter(
    {
        "http": stats_http(None),
        "websocket": URLRouter(
            [
                path("echo/", EchoConsumer.as_asgi()),
                path("hop/", GroupHopConsumer.as_asgi()),
                path("fan/", FanConsumer.as_asgi()),
            ]
        ),
    }
)
