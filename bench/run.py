"""`make bench`: start what is measured, measure it against its floors, stop, write results.

    python -m bench.run [--quick] [--only B1,B3,...]

Needs DATABASE_URL and REDIS_URL (the Makefile sources `.local/services.env`). The bench
uses its own database (`<name>_bench`, created here) and channel-layer prefix (`ccbench`).
Every server is a child process on 127.0.0.1 and is stopped on the way out; every load
generator is a separate process (`bench.loadgen`) with its own time limit.

Results: `bench/results/latest.json` and `bench/results/latest.md` (and a copy of each
named after the run's date). `BENCH_QUICK=1` (or `--quick`) runs a short version.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime as dt
import json
import os
import platform
import resource
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psutil

from bench import report

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
WORK = ROOT / ".local" / "bench"
PY = sys.executable
PREFIX = "ccbench"
DEPLOYED_CONNECT_TIMEOUT_S = report.DEPLOYED_CONNECT_TIMEOUT_S


def log(message: str) -> None:
    print(f"[bench] {message}", flush=True)


@dataclass(frozen=True)
class Plan:
    quick: bool
    idle_sizes: tuple[int, ...]
    idle_window_s: float
    idle_chats: int
    rates: tuple[int, ...]
    duration_s: float
    ladder: tuple[int, ...]
    ladder_s: float
    storm: int
    queue_visitors: int

    @classmethod
    def make(cls, quick: bool) -> Plan:
        if quick:
            return cls(True, (200, 1000), 3, 500, (20, 200), 3, (50, 100, 200, 400), 2, 500, 10)
        return cls(
            False,
            (1000, 5000, 15000),
            10,
            5000,
            (20, 200, 1000),
            10,
            (50, 100, 150, 200, 300, 400, 700, 1000, 1500, 2000, 3000),
            5,
            10000,
            50,
        )


# --------------------------------------------------------------------------- services


def raise_nofile() -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = 200_000
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(hard, want), max(hard, want)))
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def bench_database_url(name_suffix: str = "_bench") -> str:
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/councilchat")
    parts = urlsplit(base)
    name = parts.path.lstrip("/") or "councilchat"
    return urlunsplit(parts._replace(path="/" + name + name_suffix))


def ensure_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            log(f"creating database {name}")
            conn.execute(f'CREATE DATABASE "{name}"')


def django_env(database_url: str) -> dict[str, str]:
    return dict(
        os.environ,
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="bench.settings",
        BENCH_PREFIX=PREFIX,
        PYTHONPATH=str(ROOT),
    )


def manage(env: dict[str, str], *args: str, quiet: bool = True) -> float:
    started = time.monotonic()
    subprocess.run(
        [PY, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL if quiet else None,
    )
    return time.monotonic() - started


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    """One served process: daphne (our app or a floor) or the raw websockets echo."""

    kind: str  # "app", "echo" (Channels floors), "raw"
    env: dict[str, str]
    backlog: int | None = None
    connect_timeout: int | None = None  # daphne's --websocket_connect_timeout (default 5 s)
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None
    log_path: Path | None = None

    def command(self) -> list[str]:
        if self.kind == "raw":
            return [PY, "-m", "bench.raw_echo", str(self.port)]
        app = "bench.asgi:application" if self.kind == "app" else "bench.floors:application"
        if self.backlog:
            endpoint = f"tcp:port={self.port}:interface=127.0.0.1:backlog={self.backlog}"
            listen = ["-e", endpoint]
        else:  # daphne's own default, as the Dockerfile runs it (Twisted's backlog: 50)
            listen = ["-b", "127.0.0.1", "-p", str(self.port)]
        if self.connect_timeout:  # as the Dockerfile runs it: DEPLOYED_CONNECT_TIMEOUT_S
            listen += ["--websocket_connect_timeout", str(self.connect_timeout)]
        return [PY, "-m", "daphne", *listen, app]

    def start(self) -> Server:
        WORK.mkdir(parents=True, exist_ok=True)
        self.log_path = WORK / f"server-{self.kind}-{self.port}.log"
        with self.log_path.open("wb") as out:
            self.process = subprocess.Popen(
                self.command(), cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.kind} exited:\n{self.log_path.read_text()[-3000:]}")
            if self.ready():
                return self
            time.sleep(0.2)
        raise RuntimeError(f"{self.kind} did not start:\n{self.log_path.read_text()[-3000:]}")

    def ready(self) -> bool:
        if self.kind == "raw":
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return True
            except OSError:
                return False
        try:
            self.stats()
            return True
        except OSError:
            return False

    def stats(self) -> dict[str, Any]:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/__bench__/stats", headers={"Host": "localhost"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    @property
    def ps(self) -> psutil.Process:
        assert self.process is not None
        return psutil.Process(self.process.pid)

    def rss(self) -> int:
        return self.ps.memory_info().rss

    def cpu(self) -> float:
        times = self.ps.cpu_times()
        return times.user + times.system

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)


class Servers:
    """Every server this run started, stopped on exit."""

    def __init__(self) -> None:
        self.running: list[Server] = []

    def start(
        self,
        kind: str,
        env: dict[str, str],
        backlog: int | None = None,
        connect_timeout: int | None = None,
    ) -> Server:
        server = Server(kind, env, backlog, connect_timeout).start()
        self.running.append(server)
        return server

    def stop(self, server: Server) -> None:
        server.stop()
        with contextlib.suppress(ValueError):
            self.running.remove(server)

    def stop_all(self) -> None:
        for server in list(self.running):
            self.stop(server)


# --------------------------------------------------------------------------- load generator


class Loadgen:
    """One `bench.loadgen` process: READY (optional) then RESULT on stdout."""

    def __init__(self, spec: dict[str, Any], name: str) -> None:
        WORK.mkdir(parents=True, exist_ok=True)
        path = WORK / f"spec-{name}.json"
        path.write_text(json.dumps(spec))
        self.limit = float(spec.get("hard_limit_s", 900)) + 30
        self.process = subprocess.Popen(
            [PY, "-m", "bench.loadgen", str(path)],
            cwd=ROOT,
            env=dict(os.environ, PYTHONPATH=str(ROOT)),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.started = time.monotonic()

    def line(self, kind: str) -> dict[str, Any]:
        assert self.process.stdout is not None
        while True:
            raw = self.process.stdout.readline()
            if not raw:
                self.process.wait(timeout=30)
                raise RuntimeError(f"load generator ended without {kind}")
            if raw.startswith(kind + " "):
                return json.loads(raw[len(kind) + 1 :])

    def release(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write("go\n")
        self.process.stdin.flush()

    def result(self) -> dict[str, Any]:
        try:
            found = self.line("RESULT")
        finally:
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
        return found


def run_loadgen(spec: dict[str, Any], name: str) -> dict[str, Any]:
    return Loadgen(spec, name).result()


# --------------------------------------------------------------------------- measurements


def floor_target(path: str) -> dict[str, str]:
    return {"path": path, "host": "localhost"}


def idle_targets(kind: str, fixtures: dict[str, Any], n: int) -> list[dict[str, Any]]:
    if kind == "app":
        chats = fixtures["idle"]
        return [chats[i % len(chats)] for i in range(n)]
    return [floor_target("/echo/" if kind == "echo" else "/")] * n


def measure_idle(servers: Servers, env, kind: str, n: int, plan: Plan, fixtures) -> dict:
    """B1: RSS delta / N and idle CPU of a fresh process holding N sockets."""
    server = servers.start(kind, env)
    try:
        warm = run_loadgen(
            {
                "mode": "idle",
                "port": server.port,
                "targets": idle_targets(kind, fixtures, 50),
                "hello": kind == "app",
                "hold_limit_s": 0.1,
            },
            f"warm-{kind}",
        )
        time.sleep(1.5)
        rss0 = server.rss()
        gen = Loadgen(
            {
                "mode": "idle",
                "port": server.port,
                "targets": idle_targets(kind, fixtures, n),
                "hello": kind == "app",
                "concurrency": 100,
                "connect_limit_s": 300,
                "hold_limit_s": plan.idle_window_s + 120,
                "hard_limit_s": 900,
            },
            f"idle-{kind}-{n}",
        )
        ready = gen.line("READY")
        time.sleep(2)
        rss1 = server.rss()
        cpu0 = server.cpu()
        t0 = time.monotonic()
        time.sleep(plan.idle_window_s)
        cpu1 = server.cpu()
        window = time.monotonic() - t0
        rss2 = server.rss()
        gen.release()
        result = gen.result()
        opened = max(1, ready["opened"])
        return {
            "server": kind,
            "n": n,
            "opened": ready["opened"],
            "connect_failures": ready["failures"],
            "connect_s": round(ready["connect_s"], 2),
            "accept_rate_per_s": round(ready["opened"] / max(1e-9, ready["connect_s"]), 1),
            "rss_before_mib": round(rss0 / 2**20, 1),
            "rss_after_mib": round(rss1 / 2**20, 1),
            "kib_per_socket": round((rss1 - rss0) / opened / 1024, 2),
            "kib_per_socket_end": round((rss2 - rss0) / opened / 1024, 2),
            "idle_cpu_pct": round((cpu1 - cpu0) / window * 100, 2),
            "dropped_while_idle": result["dropped_while_idle"],
            "warmup_opened": warm["opened"],
        }
    finally:
        servers.stop(server)


def latency_spec(
    pairs_set: dict[str, Any] | None,
    rate: int,
    duration: float,
    *,
    floor_path: str | None = None,
    visitor_port: int,
    operator_port: int | None = None,
    conversations: int = 100,
) -> dict[str, Any]:
    if floor_path is not None:
        pairs = [
            {"key": str(i), "visitor": floor_target(floor_path), "operator": None}
            for i in range(conversations)
        ]
        return {
            "mode": "latency",
            "floor": True,
            "port": visitor_port,
            "rate": rate,
            "duration_s": duration,
            "pairs": pairs,
            "hard_limit_s": duration + 300,
        }
    assert pairs_set is not None
    operators = [dict(t, port=operator_port or visitor_port) for t in pairs_set["operators"]]
    return {
        "mode": "latency",
        "port": visitor_port,
        "rate": rate,
        "duration_s": duration,
        "pairs": pairs_set["pairs"],
        "operators": operators,
        "hard_limit_s": duration + 300,
    }


def measure_latency(servers_used: list[Server], spec: dict[str, Any], name: str) -> dict:
    """B3 and friends: one open-loop run, with the servers' CPU and counters around it."""
    gen = Loadgen(dict(spec, interactive=True), name)
    gen.line("READY")
    before = [(s.cpu(), s.stats()) for s in servers_used]
    gen.release()
    gen.line("MEASURED")
    after = [(s.cpu(), s.stats()) for s in servers_used]
    gen.release()
    result = gen.result()
    sent = max(1, result["sent"])
    cpu = sum(a[0] - b[0] for a, b in zip(after, before, strict=True))
    counters: dict[str, float] = {}
    for (_, b), (_, a) in zip(before, after, strict=True):
        for key in ("statements", "set_search_path", "orm_calls", "orm_busy_s", "db_connections"):
            counters[key] = counters.get(key, 0) + a.get(key, 0) - b.get(key, 0)
    result["cpu_ms_per_msg"] = round(cpu * 1000 / sent, 3)
    result["cpu_pct"] = round(cpu / result["duration_s"] * 100, 1)
    if "statements" in after[0][1]:
        result["per_msg"] = {
            "statements": round(counters["statements"] / sent, 2),
            "set_search_path": round(counters["set_search_path"] / sent, 3),
            "orm_calls": round(counters["orm_calls"] / sent, 2),
            "orm_busy_ms": round(counters["orm_busy_s"] * 1000 / sent, 3),
        }
        result["set_search_path_per_orm_call"] = round(
            counters["set_search_path"] / max(1, counters["orm_calls"]), 4
        )
        result["db_connections_opened"] = int(counters["db_connections"])
    return result


def passes(result: dict[str, Any], rate: int) -> bool:
    p99 = result["delivered"]["p99_ms"]
    return (
        result["lost"] == 0
        and result["unacked"] == 0
        and p99 is not None
        and p99 <= 100
        and result["achieved_rate"] >= 0.95 * rate
    )


def ladder(server: Server, plan: Plan, make_spec, name: str) -> dict[str, Any]:
    """B4: raise the offered rate until p99 passes 100 ms or anything is lost."""
    steps = []
    best = 0
    for rate in plan.ladder:
        result = measure_latency([server], make_spec(rate), f"{name}-{rate}")
        ok = passes(result, rate)
        steps.append(
            {
                "rate": rate,
                "ok": ok,
                "p99_ms": result["delivered"]["p99_ms"],
                "stored_p99_ms": result["stored"]["p99_ms"],
                "lost": result["lost"],
                "achieved_rate": result["achieved_rate"],
                "cpu_pct": result["cpu_pct"],
                "late_sends": result["late_sends"],
            }
        )
        log(f"  {name} {rate}/s: p99 {result['delivered']['p99_ms']} ms, lost {result['lost']}")
        if not ok:
            break
        best = rate
        time.sleep(1)
    return {"best_rate": best, "steps": steps, "ladder_top": plan.ladder[-1]}


def storm_spec(fixtures: dict[str, Any] | None, n: int, port: int, floor: bool) -> dict:
    if floor:
        movers = [floor_target("/echo/")] * n
        writers: list = []
    else:
        assert fixtures is not None
        chats = fixtures["idle"]
        movers = [chats[i % len(chats)] for i in range(n)]
        writers = chats[: max(1, len(chats) // 10)]
    return {
        "mode": "storm",
        "port": port,
        "movers": movers,
        "writers": writers,
        "floor": floor,
        "concurrency": 100,
        "time_limit_s": 90,  # a socket not back by then counts as not back
        "hard_limit_s": 400,
    }


def measure_storm(
    servers: Servers, env, kind: str, n: int, fixtures, backlog=None, connect_timeout=None
) -> dict:
    server = servers.start(kind, env, backlog, connect_timeout)
    try:
        result = run_loadgen(storm_spec(fixtures, n, server.port, kind != "app"), f"storm-{kind}")
        result["server"] = kind
        result["backlog"] = backlog or 50
        result["connect_timeout_s"] = connect_timeout or 5
        return result
    finally:
        servers.stop(server)


# --------------------------------------------------------------------------- the run


def machine() -> dict[str, Any]:
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    import daphne
    import django
    import websockets

    return {
        "cpu": cpu,
        "cores": psutil.cpu_count(),
        "ram_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "django": django.__version__,
        "daphne": daphne.__version__,
        "websockets": websockets.__version__,
        "postgres": server_version_postgres(),
        "redis": server_version_redis(),
    }


def server_version_postgres() -> str:
    """The version of the PostgreSQL server the bench uses (not of a local psql binary)."""
    import psycopg

    try:
        url = urlsplit(os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/x"))
        with psycopg.connect(urlunsplit(url._replace(path="/postgres"))) as conn:
            return "PostgreSQL " + conn.execute("SHOW server_version").fetchone()[0]
    except Exception as exc:
        return f"? ({exc.__class__.__name__})"


def server_version_redis() -> str:
    """The version of the Redis (or Valkey) server the channel layer uses."""
    import redis

    try:
        info = redis.Redis.from_url(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")).info(
            "server"
        )
    except Exception as exc:
        return f"? ({exc.__class__.__name__})"
    if "valkey_version" in info:
        return f"Valkey {info['valkey_version']}"
    return f"Redis {info.get('redis_version', '?')}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", default=bool(os.environ.get("BENCH_QUICK")))
    parser.add_argument("--only", default=os.environ.get("BENCH_ONLY", ""))
    args = parser.parse_args(argv)
    plan = Plan.make(args.quick)
    if os.environ.get("BENCH_STORM"):  # e.g. a bigger storm in a quick run
        plan = dataclasses.replace(plan, storm=int(os.environ["BENCH_STORM"]))
    only = {x.strip().upper() for x in args.only.split(",") if x.strip()}

    def wanted(name: str) -> bool:
        return not only or name in only

    raise_nofile()
    # SIGTERM/SIGHUP (make's own signals) end the run through `finally`, stopping servers.
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, lambda *_: sys.exit(143))
    started = time.monotonic()
    url = bench_database_url()
    ensure_database(url)
    env = django_env(url)
    log(f"database {urlsplit(url).path.lstrip('/')}, channel-layer prefix {PREFIX}")
    manage(env, "migrate_schemas", "--noinput")
    fixtures_path = WORK / "fixtures.json"
    WORK.mkdir(parents=True, exist_ok=True)
    log("bench data (councils through council_ensure, chats through chat.actions)")
    with (WORK / "fixtures.log").open("ab") as fixtures_log:
        subprocess.run(
            [PY, "-m", "bench.fixtures", str(fixtures_path), "--idle", str(plan.idle_chats)],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=fixtures_log,
        )
    fixtures = json.loads(fixtures_path.read_text())

    out: dict[str, Any] = {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "quick": plan.quick,
        "machine": machine(),
        "plan": plan.__dict__,
        "experiments": os.environ.get("BENCH_EXPERIMENTS", ""),
    }
    servers = Servers()
    try:
        if wanted("B5"):
            # First, while the queue council's operators are fresh (presence is set by the
            # fixtures; a chat is refused when no operator was seen in the last minute).
            log("B5 queue changes to 20 operators")
            echo = servers.start("echo", env)
            watchers = [{"path": "/fan/?room=b5&watch=1", "host": "localhost"} for _ in range(20)]
            floor = run_loadgen(
                {
                    "mode": "queue",
                    "floor": True,
                    "port": echo.port,
                    "operators": watchers,
                    "sender": {"path": "/fan/?room=b5", "host": "localhost"},
                    "visitors": plan.queue_visitors,
                    "arrivals_per_s": 5,
                    "hard_limit_s": 300,
                },
                "b5-floor",
            )
            servers.stop(echo)
            app = servers.start("app", env)
            queue = fixtures["queue"]
            result = run_loadgen(
                {
                    "mode": "queue",
                    "port": app.port,
                    "operators": queue["operators"],
                    "host": queue["host"],
                    "origin": queue["origin"],
                    "visitors": plan.queue_visitors,
                    "arrivals_per_s": 5,
                    "stay_s": 2,
                    "hard_limit_s": 300,
                },
                "b5",
            )
            servers.stop(app)
            out["B5"] = {"app": result, "floor": floor}
            log(
                f"  queue_add to 20: p99 {result['queue_add_to_all']['p99_ms']} ms "
                f"(floor {floor['queue_add_to_all']['p99_ms']} ms), lost {result['lost']}"
            )

        if wanted("B1"):
            log("B1 idle sockets")
            rows = []
            for n in plan.idle_sizes:
                for kind in ("raw", "echo", "app"):
                    row = measure_idle(servers, env, kind, n, plan, fixtures)
                    log(
                        f"  {kind} {n}: {row['kib_per_socket']} KiB/socket, "
                        f"idle CPU {row['idle_cpu_pct']}%, opened {row['opened']}"
                    )
                    rows.append(row)
            out["B1"] = rows

        if wanted("B3") or wanted("B4") or wanted("B6") or wanted("SCALE"):
            log("floors: latency")
            floors: dict[str, Any] = {}
            echo = servers.start("echo", env)
            raw = servers.start("raw", env)
            floor_rates = plan.rates if not only or only & {"B3", "B6", "SCALE"} else ()
            for rate in floor_rates:
                for name, server, path in (
                    ("raw", raw, "/"),
                    ("echo", echo, "/echo/"),
                    ("hop", echo, "/hop/"),
                ):
                    spec = latency_spec(
                        None, rate, plan.duration_s, floor_path=path, visitor_port=server.port
                    )
                    if server is echo:
                        result = measure_latency([echo], spec, f"floor-{name}-{rate}")
                    else:  # the raw server has no counters; CPU from psutil only
                        result = _with_cpu(raw, spec, f"floor-{name}-{rate}")
                    floors.setdefault(name, {})[str(rate)] = result
                    log(f"  {name} {rate}/s: p99 {result['delivered']['p99_ms']} ms")
            if wanted("B4"):
                floors["hop_ladder"] = ladder(
                    echo,
                    plan,
                    lambda rate: latency_spec(
                        None, rate, plan.ladder_s, floor_path="/hop/", visitor_port=echo.port
                    ),
                    "floor-hop-ladder",
                )
            servers.stop(echo)
            servers.stop(raw)
            out["floors"] = floors

        if wanted("B3") or wanted("B4") or wanted("B6"):
            app = servers.start("app", env)
            if wanted("B3") or wanted("B6"):
                log("B3 visitor -> operator, 1 council")
                b3 = {}
                for rate in plan.rates:
                    spec = latency_spec(
                        fixtures["one_council"], rate, plan.duration_s, visitor_port=app.port
                    )
                    b3[str(rate)] = measure_latency([app], spec, f"b3-{rate}")
                    _log_latency("B3", rate, b3[str(rate)])
                out["B3"] = b3
            if wanted("B6"):
                log("B6 the same over 50 councils")
                b6 = {}
                for rate in plan.rates:
                    spec = latency_spec(
                        fixtures["many_councils"], rate, plan.duration_s, visitor_port=app.port
                    )
                    b6[str(rate)] = measure_latency([app], spec, f"b6-{rate}")
                    _log_latency("B6", rate, b6[str(rate)])
                out["B6"] = {"councils": fixtures["councils"], "runs": b6}
            if wanted("B4"):
                log("B4 highest sustained rate with storage, p99 <= 100 ms")
                out["B4"] = ladder(
                    app,
                    plan,
                    lambda rate: latency_spec(
                        fixtures["one_council"], rate, plan.ladder_s, visitor_port=app.port
                    ),
                    "b4",
                )
            servers.stop(app)

        if wanted("SCALE"):
            log("scale-out: visitors on daphne 1, operators on daphne 2")
            one = servers.start("app", env)
            two = servers.start("app", env)
            scale = {}
            for rate in plan.rates:
                spec = latency_spec(
                    fixtures["one_council"],
                    rate,
                    plan.duration_s,
                    visitor_port=one.port,
                    operator_port=two.port,
                )
                scale[str(rate)] = measure_latency([one, two], spec, f"scale-{rate}")
                _log_latency("scale", rate, scale[str(rate)])
            servers.stop(one)
            servers.stop(two)
            out["scale_out"] = scale

        if wanted("B2"):
            log(f"B2 reconnect storm of {plan.storm}")
            # daphne's default 5 s handshake timeout, and the 30 s our deploys use (both the
            # floor and ours), so each of ours has a floor with the same settings.
            deployed = DEPLOYED_CONNECT_TIMEOUT_S
            storms = [
                measure_storm(servers, env, "echo", plan.storm, None),
                measure_storm(servers, env, "app", plan.storm, fixtures),
                measure_storm(servers, env, "echo", plan.storm, None, connect_timeout=deployed),
                measure_storm(servers, env, "app", plan.storm, fixtures, connect_timeout=deployed),
            ]
            for row in storms:
                log(
                    f"  {row['server']} handshake timeout {row['connect_timeout_s']} s: all back "
                    f"in "
                    f"{row['all_back_s']} s, failures {row['reconnect_failures']}, "
                    f"lost {row['lost']}"
                )
            out["B2"] = storms

        if wanted("B7"):
            log("B7 migrate_schemas with nothing to do")
            small = bench_database_url("_bench_m10")
            ensure_database(small)
            small_env = django_env(small)
            manage(small_env, "migrate_schemas", "--noinput")
            with (WORK / "fixtures.log").open("ab") as fixtures_log:
                subprocess.run(
                    [
                        PY,
                        "-m",
                        "bench.fixtures",
                        str(WORK / "m10.json"),
                        "--councils",
                        "10",
                        "--only-councils",
                    ],
                    cwd=ROOT,
                    env=small_env,
                    check=True,
                    stdout=fixtures_log,
                )
            manage(small_env, "migrate_schemas", "--noinput")
            b7 = {
                "10": round(manage(small_env, "migrate_schemas", "--noinput"), 2),
                str(fixtures["councils"]): round(manage(env, "migrate_schemas", "--noinput"), 2),
                "check_10": round(manage(small_env, "check"), 2),
            }
            out["B7"] = b7
            log(f"  {b7}")
    finally:
        servers.stop_all()
        cleanup_redis()
    out["elapsed_s"] = round(time.monotonic() - started, 1)
    if only and (RESULTS / "latest.json").exists():
        # A partial run updates its figures in the latest full results, noting when.
        merged = json.loads((RESULTS / "latest.json").read_text())
        # Only what was asked for; floors only with the B3 they are compared with.
        keys = {SECTION_OF.get(name, name) for name in only}
        if "B3" in keys or "B6" in keys:
            keys |= {"B3", "floors"}
        for key in keys & set(out):
            merged[key] = out[key]
            merged.setdefault("updated", {})[key] = out["date"]
        if "B4" in keys and "floors" not in keys and "hop_ladder" in out.get("floors", {}):
            merged.setdefault("floors", {})["hop_ladder"] = out["floors"]["hop_ladder"]
        merged.setdefault("experiments_by_update", {})[out["date"]] = out["experiments"]
        out = merged
    write_results(out)
    return 0


SECTION_OF = {"SCALE": "scale_out"}


def _with_cpu(server: Server, spec: dict[str, Any], name: str) -> dict[str, Any]:
    gen = Loadgen(dict(spec, interactive=True), name)
    gen.line("READY")
    cpu0 = server.cpu()
    gen.release()
    gen.line("MEASURED")
    cpu = server.cpu() - cpu0
    gen.release()
    result = gen.result()
    result["cpu_ms_per_msg"] = round(cpu * 1000 / max(1, result["sent"]), 3)
    result["cpu_pct"] = round(cpu / result["duration_s"] * 100, 1)
    return result


def _log_latency(name: str, rate: int, result: dict[str, Any]) -> None:
    log(
        f"  {name} {rate}/s: stored p99 {result['stored']['p99_ms']} ms, delivered p99 "
        f"{result['delivered']['p99_ms']} ms, lost {result['lost']}, "
        f"{result['cpu_ms_per_msg']} CPU ms/msg, per msg {result.get('per_msg')}"
    )


def cleanup_redis() -> None:
    """Drop the bench's channel-layer keys and Celery queue (never anything else)."""
    try:
        import redis

        client = redis.Redis.from_url(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
        for key in client.scan_iter(match=f"{PREFIX}*", count=1000):
            client.delete(key)
        client.delete(PREFIX)
    except Exception as exc:  # the results matter more than the tidy-up
        log(f"could not clean Redis: {exc}")


def write_results(out: dict[str, Any]) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = out["date"][:10] + ("-quick" if out["quick"] else "")
    if out.get("updated"):
        stamp += "-updated"
    markdown = report.markdown(out)
    (RESULTS / "latest.json").write_text(json.dumps(out, indent=1) + "\n")
    (RESULTS / "latest.md").write_text(markdown)
    shutil.copy(RESULTS / "latest.json", RESULTS / f"{stamp}.json")
    shutil.copy(RESULTS / "latest.md", RESULTS / f"{stamp}.md")
    print(markdown)
    log(f"wrote {RESULTS / 'latest.json'} and {RESULTS / 'latest.md'}")


if __name__ == "__main__":
    sys.exit(main())
