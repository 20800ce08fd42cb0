#!/usr/bin/env python3
"""Foreground supervisor for `make demo`: daphne + a Celery worker, stopped together.

Run by the Makefile after the services are up, the schemas migrated and the demo seeded
(DATABASE_URL and REDIS_URL already in the environment). It starts

    daphne -b 127.0.0.1 -p $PORT … config.asgi:application   (the Dockerfile's options)
    celery -A config worker -B -l info --concurrency 2

each in its own process group, prints the demo's addresses and logins, then waits. On
Ctrl-C (SIGINT), SIGTERM or SIGHUP, or when either child dies, it stops both (SIGTERM to the
process group, SIGKILL after a grace period) and then, through scripts/devservices.py, the
embedded PostgreSQL/Redis that this session started. Exits 0 after Ctrl-C/SIGTERM and 1
when a child died on its own.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCAL = ROOT / ".local"
sys.path.insert(0, str(Path(__file__).resolve().parent))

import devservices  # noqa: E402 - scripts/ is not a package

STOP_GRACE = float(os.environ.get("DEMO_STOP_TIMEOUT", "15"))
READY_TIMEOUT = 60.0


def say(message: str = "") -> None:
    print(message, flush=True)


def note(message: str) -> None:
    print(f"[rundemo] {message}", file=sys.stderr, flush=True)


def tool(name: str) -> str:
    """The venv's console script (next to this interpreter), else one on PATH."""
    candidate = Path(sys.executable).parent / name
    if candidate.exists():
        return str(candidate)
    found = shutil.which(name)
    if not found:
        raise SystemExit(f"[rundemo] cannot find {name!r}; run `make install`")
    return found


def _die_with_parent() -> None:
    """Linux: the child gets SIGTERM if this supervisor is killed outright (SIGKILL)."""
    with contextlib.suppress(Exception):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM, 0, 0, 0)


class Child:
    def __init__(self, name: str, argv: list[str]):
        self.name = name
        self.argv = argv
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        note(f"starting {self.name}: {' '.join(self.argv)}")
        self.proc = subprocess.Popen(
            self.argv,
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # own process group: the terminal's Ctrl-C is ours to relay
            preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
        )

    def exited(self) -> int | None:
        return None if self.proc is None else self.proc.poll()

    def signal_leader(self, sig: int) -> None:
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(sig)

    def signal_group(self, sig: int) -> None:
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, sig)

    def group_alive(self) -> bool:
        if self.proc is None:
            return False
        self.proc.poll()
        try:
            os.killpg(self.proc.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return self._group_has_live_members()

    def _group_has_live_members(self) -> bool:
        """killpg(0) also succeeds for zombies; on Linux look for a live group member."""
        proc_dir = Path("/proc")
        if not proc_dir.is_dir():
            return True
        pgid = self.proc.pid
        for entry in proc_dir.iterdir():
            if not entry.name.isdigit():
                continue
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if len(fields) > 2 and fields[2] == str(pgid) and fields[0] != "Z":
                return True
        return False


def wait_ready(port: int, children: list[Child], stop: dict) -> bool:
    """Poll /healthz on the public host until it answers 200 (or give up)."""
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline and not stop["requested"]:
        if any(child.exited() is not None for child in children):
            return False
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz", headers={"Host": f"localhost:{port}"})
            status = conn.getresponse().status
            conn.close()
            if status == 200:
                return True
        except OSError:
            pass
        time.sleep(0.3)
    return False


def demo_password() -> str | None:
    password = os.environ.get("DEMO_PASSWORD", "").strip()
    if password:
        return password
    with contextlib.suppress(OSError):
        password = (LOCAL / "demo_password").read_text().strip()
    return password or None


def free_port() -> int:
    """A port nothing listens on now: the stand-in must never take the demo's own PORT."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def social_setup() -> int | None:
    """Messenger and WhatsApp for the demo (docs/social.md): META_APP_SECRET and
    META_VERIFY_TOKEN from the environment, else generated once and kept in
    .local/meta_secrets; META_GRAPH_URL from the environment, else the Graph API stand-in
    this script starts. Returns the stand-in's port, or None when META_GRAPH_URL is set."""
    import json
    import secrets

    path = LOCAL / "meta_secrets"
    kept = {}
    with contextlib.suppress(OSError, ValueError):
        kept = json.loads(path.read_text())
    for name in ("META_APP_SECRET", "META_VERIFY_TOKEN"):
        if not os.environ.get(name, "").strip():
            os.environ[name] = kept.get(name) or secrets.token_urlsafe(24)
            kept[name] = os.environ[name]
    path.write_text(json.dumps(kept))
    path.chmod(0o600)
    if os.environ.get("META_GRAPH_URL", "").strip():
        return None
    standin_port = int(os.environ.get("GRAPH_STANDIN_PORT", "0")) or free_port()
    os.environ["META_GRAPH_URL"] = f"http://127.0.0.1:{standin_port}/v26.0"
    return standin_port


def print_banner(port: int, ready: bool) -> None:
    password = demo_password() or "(printed by `manage.py seed_demo` above)"
    p = f":{port}"
    say("")
    say("=" * 76)
    say(f"CouncilChat demo {'is up' if ready else 'started, but /healthz does not answer yet'}")
    say("")
    say(f"  Public admin (partnership managers)  http://localhost{p}/admin/")
    say(f"  Partnership page                     http://dorsetforyou.localhost{p}/")
    say(f"  A council page, with the widget      http://dorset.localhost{p}/")
    say(f"  Operator console                     http://dorset.localhost{p}/console/")
    say(f"  Council admin                        http://dorset.localhost{p}/admin/")
    say("")
    say(f"  Password for every demo login: {password}")
    say("  alex (council admin) and sam (operator) on every council host (dorset,")
    say(f"  christchurch, somerset, ... .localhost{p}); partnership manager 'manager' on")
    say(f"  http://localhost{p}/admin/. Mail (transcripts, enquiries) is printed in this log.")
    say("")
    say("  Messenger and WhatsApp (docs/social.md): play a resident at")
    say(
        f"  http://west-dorset.localhost{p}/demo/social/ or http://somerset.localhost{p}/demo/social/"
    )
    say(f"  Webhook: http://localhost{p}/webhooks/meta")
    say(f"  Graph API: {os.environ.get('META_GRAPH_URL')}")
    say(f"  META_APP_SECRET={os.environ.get('META_APP_SECRET')}")
    say(f"  META_VERIFY_TOKEN={os.environ.get('META_VERIFY_TOKEN')}")
    say("")
    say("  Ctrl-C stops daphne, the worker and the embedded PostgreSQL/Redis it started.")
    say("=" * 76)
    say("")


def stop_children(children: list[Child]) -> None:
    """SIGTERM to each child (it stops its own workers), then its whole group; SIGKILL last."""
    for child in children:
        if child.group_alive():
            note(f"stopping {child.name}")
            child.signal_leader(signal.SIGTERM)
    started = time.monotonic()
    deadline = started + STOP_GRACE
    swept = set()
    while time.monotonic() < deadline and any(c.group_alive() for c in children):
        for child in children:
            # The leader is gone but members of its group linger: ask them too.
            lingering = child.exited() is not None and child.name not in swept
            if lingering and time.monotonic() - started > 3 and child.group_alive():
                child.signal_group(signal.SIGTERM)
                swept.add(child.name)
        time.sleep(0.1)
    for child in children:
        if child.group_alive():
            note(f"{child.name} did not stop within {STOP_GRACE:.0f} s: SIGKILL")
            child.signal_group(signal.SIGKILL)
    for child in children:
        if child.proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.proc.wait(timeout=5)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(c.group_alive() for c in children):
        time.sleep(0.1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="run daphne + celery for the demo")
    parser.add_argument("--session", help="devservices session to end on exit (e.g. demo)")
    parser.add_argument(
        "--owner-pid", type=int, help="owner pid of that session (default: this process)"
    )
    args = parser.parse_args(argv)
    # daphne and Celery inherit these: the demo's pages and seed (demo/), plain http with a
    # development key (config/settings.py). `make demo` sets them too.
    os.environ.setdefault("DEMO", "1")
    os.environ.setdefault("DEBUG", "1")
    port = int(os.environ.get("PORT", "8000"))
    owner_pid = args.owner_pid or os.getpid()

    LOCAL.mkdir(exist_ok=True)
    standin_port = social_setup()  # before the children start: they inherit the settings
    celery = [tool("celery"), "-A", "config", "worker", "-B", "-l", "info", "--concurrency", "2"]
    children = [
        Child(
            "daphne",
            [
                # daphne with a drain on SIGTERM (1012 to every socket): reliability/serve.py.
                sys.executable,
                "-m",
                "reliability.serve",
                "-b",
                "127.0.0.1",
                "-p",
                str(port),
                # Same 64 KiB cap as the Dockerfile: daphne's default is 1 MiB.
                "--websocket-max-message-size",
                "65536",
                "--websocket-max-frame-size",
                "65536",
                # A handshake may wait 30 s (daphne: 5 s) for its turn in a reconnect storm
                # rather than be thrown away after its work was done (docs/performance.md, B2).
                "--websocket_connect_timeout",
                "30",
                "config.asgi:application",
            ],
        ),
        Child(
            "celery worker",
            [*celery, "--schedule-filename", str(LOCAL / "celerybeat-schedule")],
        ),
    ]
    if standin_port is not None:
        children.append(
            Child(
                "graph stand-in",
                [sys.executable, "-m", "social.graph_standin", "--port", str(standin_port)],
            )
        )
    stop = {"requested": False, "signal": None}

    def on_signal(signum, _frame):
        if stop["requested"]:
            note("second signal: killing everything now")
            for child in children:
                child.signal_group(signal.SIGKILL)
            return
        stop["requested"] = True
        stop["signal"] = signum

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)

    exit_code = 0
    try:
        for child in children:
            child.start()
        ready = wait_ready(port, children, stop)
        if not stop["requested"] and all(c.exited() is None for c in children):
            print_banner(port, ready)
        parent = os.getppid()
        while not stop["requested"]:
            if os.getppid() != parent:
                # `make demo` itself was killed (a signal to make alone, not its process
                # group): stop rather than leave daphne, the worker and the services behind.
                note("make exited; stopping the demo")
                break
            dead = [c for c in children if c.exited() is not None]
            if dead:
                for child in dead:
                    note(f"{child.name} exited with status {child.exited()}; stopping the demo")
                exit_code = 1
                break
            time.sleep(0.2)
        if stop["requested"]:
            note(f"got {signal.Signals(stop['signal']).name}; stopping the demo")
    finally:
        # From here on a further Ctrl-C escalates (see on_signal) instead of interrupting us.
        stop["requested"] = True
        stop_children(children)
        if args.session:
            try:
                devservices.down(args.session, owner_pid)
            except devservices.ServiceError as exc:
                note(f"could not stop the services: {exc}")
                exit_code = exit_code or 1
        note("stopped")
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
