"""GET /healthz on every host: can we reach PostgreSQL and the channel layer?"""

import asyncio
import logging

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.db import connection
from django.http import HttpRequest, JsonResponse

logger = logging.getLogger(__name__)
CHECK_TIMEOUT = 3.0


def _database_answers() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        logger.exception("health check: database")
        return False


async def _channel_layer_answers() -> bool:
    """Round-trip one message through the layer (a real send and receive, not a ping)."""
    try:
        layer = get_channel_layer()
        channel = await layer.new_channel("healthz.")
        await asyncio.wait_for(layer.send(channel, {"type": "health.ping"}), CHECK_TIMEOUT)
        reply = await asyncio.wait_for(layer.receive(channel), CHECK_TIMEOUT)
        return reply.get("type") == "health.ping"
    except Exception:
        logger.exception("health check: channel layer")
        return False


async def healthz(request: HttpRequest) -> JsonResponse:
    database = await sync_to_async(_database_answers, thread_sensitive=True)()
    layer = await _channel_layer_answers()
    ok = database and layer
    return JsonResponse(
        {"status": "ok" if ok else "unavailable", "database": database, "channel_layer": layer},
        status=200 if ok else 503,
    )
