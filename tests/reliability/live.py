"""Real processes for fault tests: our daphne (reliability.serve), and a PostgreSQL and a Redis
of the test's own, on ports 55400-55499, that a test may crash and restart at will.

Never the machine's servers: a fault test kills what it started, by its pid, and nothing else.
"""

from __future__ import annotations

import contextlib
import os
import random
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PG_BIN = Path(os.environ.get("FAULT_PG_BIN", "/usr/lib/postgresql/15/bin"))
PORTS = range(55400, 55500)


def free_port() -> int:
    """A free port of this suite's range (55400-55499), picked at random to avoid reuse."""
    candidates = list(PORTS)
    random.shuffle(candidates)
    for port in candidates:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 55400-55499")


def wait_until(check, timeout: float, what: str, interval: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if check():
                return
        except Exception:  # noqa: S110 - still starting
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not ready after {timeout} s")
        time.sleep(interval)


def tcp_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


# --------------------------------------------------------------------------- daphne


def dockerfile_command() -> list[str]:
    """The production image's web command (the Dockerfile's CMD), to run as the image does."""
    import json

    for line in (ROOT / "Dockerfile").read_text().splitlines():
        if line.startswith("CMD "):
            return json.loads(line[4:])
    raise RuntimeError("no CMD in the Dockerfile")


@dataclass
class Daphne:
    """Our web server as the Dockerfile runs it (python -m reliability.serve …)."""

    env: dict[str, str]
    port: int = field(default_factory=free_port)
    log: Path = field(default_factory=lambda: Path(tempfile.mkstemp(suffix=".daphne.log")[1]))
    process: subprocess.Popen | None = None

    def command(self) -> list[str]:
        argv = dockerfile_command()
        assert argv[:3] == ["python", "-m", "reliability.serve"], argv
        argv = [sys.executable, *argv[1:]]
        argv[argv.index("-b") + 1] = "127.0.0.1"
        argv[argv.index("-p") + 1] = str(self.port)
        if os.environ.get("FAULT_DAPHNE_VERBOSE"):
            argv[-1:-1] = ["-v", "2"]
        return argv

    def start(self, timeout: float = 60) -> Daphne:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                self.command(),
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

        def healthy() -> bool:
            assert self.process.poll() is None, self.log.read_text()[-3000:]
            request = urllib.request.Request(
                f"http://127.0.0.1:{self.port}/healthz", headers={"Host": "localhost"}
            )
            with urllib.request.urlopen(request, timeout=2) as response:
                return response.status == 200

        wait_until(healthy, timeout, f"daphne on {self.port}", interval=0.2)
        return self

    def terminate(self) -> float:
        """SIGTERM; returns the seconds it took to exit."""
        assert self.process is not None
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=60)
        return time.monotonic() - started

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def daphne_env(database_url: str, redis_url: str, **extra: str) -> dict[str, str]:
    env = dict(os.environ, DATABASE_URL=database_url, REDIS_URL=redis_url)
    env["DJANGO_SETTINGS_MODULE"] = "config.test_settings"
    env.update(extra)
    return env


def django_database_url() -> str:
    from django.conf import settings

    db = settings.DATABASES["default"]
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


# --------------------------------------------------------------------------- PostgreSQL


def _as_postgres_user() -> dict:
    """PostgreSQL refuses to run as root: run its programs as the `postgres` account."""
    if os.geteuid() != 0:
        return {}
    import pwd

    user = pwd.getpwnam("postgres")
    return {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}


def devservices_pg_options() -> str:
    """The server settings scripts/devservices.py starts PostgreSQL with (durability).

    FAULT_PG_OPTIONS replaces them, to see the suite fail without them (docs/reliability.md).
    """
    if os.environ.get("FAULT_PG_OPTIONS"):
        return os.environ["FAULT_PG_OPTIONS"]
    sys.path.insert(0, str(ROOT / "scripts"))
    import devservices

    return devservices.PG_DURABILITY_OPTIONS


@dataclass
class OwnPostgres:
    """A throwaway PostgreSQL 15 cluster under /tmp, started with devservices' settings."""

    port: int = field(default_factory=free_port)
    options: str = field(default_factory=devservices_pg_options)
    directory: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="ccfault-pg-")))

    @property
    def data(self) -> Path:
        return self.directory / "data"

    def url(self, database: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str, timeout: float = 120) -> None:
        result = subprocess.run(
            [str(PG_BIN / args[0]), *args[1:]],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            cwd=tempfile.gettempdir(),
            env={"PATH": os.environ.get("PATH", ""), "LC_ALL": "C"},
            **_as_postgres_user(),
        )
        if result.returncode != 0:
            raise RuntimeError(f"{args[0]} failed: {result.stdout}{result.stderr}")

    def init(self) -> OwnPostgres:
        os.chmod(self.directory, 0o755)  # noqa: S103 - initdb runs as postgres and must enter
        if os.geteuid() == 0:
            shutil.chown(self.directory, "postgres", "postgres")
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "--no-sync",
            "--encoding=UTF8",
            "--no-locale",
        )
        return self

    def start(self) -> OwnPostgres:
        # A slow background WAL flush (10 s, PostgreSQL's maximum) makes what an asynchronous
        # commit risks certain to show in a crash; a synchronous commit does not depend on it.
        options = (
            f"-h 127.0.0.1 -p {self.port} -k '' -c max_connections=60 "
            f"-c wal_writer_delay=10s {self.options}"
        )
        log = self.directory / "postgres.log"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(log), "-w", "-o", options, "start")
        return self

    def crash(self) -> None:
        """A server crash: every backend killed, nothing flushed that was not already."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop", timeout=60)

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop", timeout=60)

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)

    def copy_database_from(self, source_url: str, name: str) -> str:
        """Create `name` here as a copy of `source_url`'s database (schema and rows)."""
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        dump = subprocess.run(
            [str(PG_BIN / "pg_dump"), "--no-owner", "--no-privileges", "-d", source_url],
            capture_output=True,
            check=True,
            timeout=300,
        ).stdout
        subprocess.run(
            [str(PG_BIN / "psql"), "-q", "-v", "ON_ERROR_STOP=1", "-d", self.url(name)],
            input=dump,
            capture_output=True,
            check=True,
            timeout=300,
        )
        return self.url(name)


# --------------------------------------------------------------------------- Redis


@dataclass
class OwnRedis:
    """A throwaway redis-server with no persistence: a restart forgets everything, as a
    crashed Redis without a snapshot does."""

    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> OwnRedis:
        binary = shutil.which("redis-server") or shutil.which("valkey-server")
        assert binary, "no redis-server on PATH"
        self.process = subprocess.Popen(
            shlex.split(
                f"{binary} --bind 127.0.0.1 --port {self.port} --save '' --appendonly no "
                f"--protected-mode yes --dir {tempfile.gettempdir()}"
            ),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(lambda: tcp_open(self.port), 20, f"redis on {self.port}")
        return self

    def kill(self) -> None:
        """SIGKILL: no goodbye to clients, every key gone."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    stop = kill
