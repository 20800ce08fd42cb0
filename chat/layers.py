"""The channel layer: channels_redis' RedisChannelLayer on a Redis pool that waits, with
group joins and leaves batched.

redis-py 8's asyncio `ConnectionPool` raises `MaxConnectionsError` ("Too many connections")
when all its connections are busy, where older versions opened more. A reconnect storm runs
thousands of `group_add`/`group_discard` at once: in bench B2 (10,000 sockets, 2026-11-24)
8,940 consumers died that way even with `max_connections` at 1,000. A
`BlockingConnectionPool` makes a command wait for a free connection instead (docs/performance.md).

Waiting is not free either: with 10,000 sockets dropping or joining at once, each join or
leave took its turn at the pool (a lock, a condition, a round trip), and the event loop
spent seconds on the queue. Joins and leaves made in the same loop iteration now go to Redis
as one pipeline, and each caller still waits until its own command has been carried out.
"""

from __future__ import annotations

import asyncio
import time
import weakref
from collections import defaultdict
from dataclasses import dataclass

from channels_redis.core import RedisChannelLayer
from redis.asyncio import BlockingConnectionPool
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError

POOL_SIZE = 200
# Longer than channels_redis' 5 s BZPOPMIN, so a quiet receive loop is not cut off.
SOCKET_TIMEOUT_S = 15
# A command that waits this long for a connection fails (Redis stuck or gone).
POOL_WAIT_S = 30
# Joins and leaves per pipeline: bounds one round trip's size in a storm.
BATCH_MAX = 1000


@dataclass(frozen=True)
class _Membership:
    join: bool
    index: int  # which Redis host (consistent hash of the group)
    key: str
    channel: str
    at: float


class _MembershipBatcher:
    """Sends the joins and leaves queued in one event loop as pipelines, in order."""

    def __init__(self, layer: BlockingPoolChannelLayer) -> None:
        self.layer = layer
        self.queue: list[tuple[_Membership, asyncio.Future[None]]] = []
        self.flushing: asyncio.Future[None] | None = None

    async def run(self, change: _Membership) -> None:
        done = asyncio.get_running_loop().create_future()
        self.queue.append((change, done))
        if self.flushing is None:
            self.flushing = asyncio.ensure_future(self.flush())
        await done

    async def flush(self) -> None:
        batch: list[tuple[_Membership, asyncio.Future[None]]] = []
        try:
            while self.queue:
                batch, self.queue = self.queue[:BATCH_MAX], self.queue[BATCH_MAX:]
                by_host: dict[int, list[tuple[_Membership, asyncio.Future[None]]]] = defaultdict(
                    list
                )
                for item in batch:
                    by_host[item[0].index].append(item)
                for index, items in by_host.items():
                    await self.send(index, items)
        finally:
            self.flushing = None
            # Only when cancelled mid-way: nobody may be left waiting.
            for _change, done in [*batch, *self.queue]:
                if not done.done():
                    done.set_exception(ConnectionError("channel layer batch abandoned"))
            self.queue = []

    async def send(self, index: int, items: list[tuple[_Membership, asyncio.Future[None]]]):
        pipe = self.layer.connection(index).pipeline(transaction=False)
        for change, _done in items:
            if change.join:
                pipe.zadd(change.key, {change.channel: change.at})
                pipe.expire(change.key, self.layer.group_expiry)
            else:
                pipe.zrem(change.key, change.channel)
        try:
            await pipe.execute()
        except Exception as exc:  # cancelled: `flush` fails whatever is left
            for _change, done in items:
                if not done.done():
                    done.set_exception(exc)
        else:
            for _change, done in items:
                if not done.done():
                    done.set_result(None)


class BlockingPoolChannelLayer(RedisChannelLayer):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # One batcher per event loop (daphne's, and the broadcast sender's).
        self._batchers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _MembershipBatcher] = (
            weakref.WeakKeyDictionary()
        )

    def create_pool(self, index):
        host = dict(self.hosts[index])
        if "address" not in host:  # Sentinel and other forms: channels_redis' own pool
            return super().create_pool(index)
        address = host.pop("address")
        host.setdefault("max_connections", POOL_SIZE)
        host.setdefault("socket_timeout", SOCKET_TIMEOUT_S)
        # After a Redis restart every idle pooled connection is stale, and the first command
        # on each failed: the re-join that follows an outage could lose that draw, leaving
        # the sockets out of their groups until the next periodic re-join (20 s in the fault
        # suite: a CI run's 21 s to live again). One immediate retry on a fresh connection
        # (connection errors only, not timeouts) heals a stale connection; with Redis really
        # down it fails at once, as before.
        host.setdefault("retry", Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,)))
        return BlockingConnectionPool.from_url(address, timeout=POOL_WAIT_S, **host)

    def _batcher(self) -> _MembershipBatcher:
        loop = asyncio.get_running_loop()
        batcher = self._batchers.get(loop)
        if batcher is None:
            batcher = self._batchers[loop] = _MembershipBatcher(self)
        return batcher

    async def group_add(self, group: str, channel: str) -> None:
        """channels_redis' group_add (ZADD, then EXPIRE), batched with the others."""
        assert self.require_valid_group_name(group), "Group name not valid"
        assert self.require_valid_channel_name(channel), "Channel name not valid"
        await self._batcher().run(
            _Membership(
                True, self.consistent_hash(group), self._group_key(group), channel, time.time()
            )
        )

    async def group_discard(self, group: str, channel: str) -> None:
        """channels_redis' group_discard (ZREM), batched with the others."""
        assert self.require_valid_group_name(group), "Group name not valid"
        assert self.require_valid_channel_name(channel), "Channel name not valid"
        await self._batcher().run(
            _Membership(False, self.consistent_hash(group), self._group_key(group), channel, 0.0)
        )
