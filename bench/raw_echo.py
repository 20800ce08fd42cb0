"""The lowest floor: a websockets-library echo server (no ASGI, no Channels, no Django).

    python -m bench.raw_echo PORT

Compression is off, as in daphne; the server does not ping (daphne pings every 20 s, but
an idle ping costs nothing measurable between pings).
"""

from __future__ import annotations

import asyncio
import sys

from websockets.asyncio.server import serve


async def echo(ws) -> None:
    async for message in ws:
        await ws.send(message)


async def main(port: int) -> None:
    async with serve(
        echo, "127.0.0.1", port, compression=None, ping_interval=None, max_queue=None, backlog=4096
    ) as server:
        await server.serve_forever()


if __name__ == "__main__":
    from bench.loadgen import raise_nofile

    raise_nofile()
    asyncio.run(main(int(sys.argv[1])))
