"""One B2 reconnect storm against our app, with a census of its asyncio tasks every 3 s.

    python -m bench.storm_probe N [EXPERIMENTS]     (after one `make bench` built the data)

Prints where the served process's tasks wait (`/__bench__/tasks`: the innermost frames of
each task, counted) while N visitor sockets drop and come back, then the storm's result,
the server's CPU seconds and how many application instances daphne killed or handshakes it
rejected. This is how the per-event ORM-thread hop was found (docs/performance.md). Needs
DATABASE_URL and REDIS_URL (`. .local/services.env` after `make services`).
"""

from __future__ import annotations

import json
import sys
import threading
import time
import urllib.request

from bench import run


def census(port: int, started: float, stop: threading.Event) -> None:
    while not stop.is_set():
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/__bench__/tasks", headers={"Host": "localhost"}
        )
        asked = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                data = json.loads(response.read())
        except OSError as exc:
            print(f"[census] failed: {exc!r}", flush=True)
        else:
            print(
                f"[census +{asked - started:.0f}s, answered in {time.monotonic() - asked:.1f}s]"
                f" tasks={data['tasks']} {data['states']}",
                flush=True,
            )
            for place, count in data["places"][:6]:
                print(f"   {count:6d} {place}", flush=True)
        stop.wait(3)


def main(argv: list[str]) -> int:
    n = int(argv[0]) if argv else 3000
    run.raise_nofile()
    env = run.django_env(run.bench_database_url())
    env["BENCH_EXPERIMENTS"] = argv[1] if len(argv) > 1 else ""
    fixtures = json.loads((run.WORK / "fixtures.json").read_text())
    servers = run.Servers()
    server = servers.start("app", env)
    stop = threading.Event()
    watcher = threading.Thread(target=census, args=(server.port, time.monotonic(), stop))
    watcher.start()
    try:
        result = run.run_loadgen(run.storm_spec(fixtures, n, server.port, False), "probe")
        print(json.dumps(result))
        print(f"server CPU {server.cpu():.1f} s")
    finally:
        stop.set()
        watcher.join()
        assert server.log_path is not None
        log = server.log_path.read_text()
        print(f"killed {log.count('took too long')}, rejected {log.count('WSREJECT')}")
        servers.stop_all()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
