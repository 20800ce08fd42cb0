"""A real daphne process serving the test database, for end-to-end tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _database_url() -> str:
    db = settings.DATABASES["default"]
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@dataclass(frozen=True)
class LiveServer:
    port: int

    def url(self, host: str, path: str = "/") -> str:
        return f"http://{host}:{self.port}{path}"


@contextmanager
def live_daphne(log: Path, **env: str) -> Iterator[LiveServer]:
    """daphne with our ASGI app on a free port, reading the committed test data, with `env`
    on top of this process's environment; stopped on exit."""
    port = _free_port()
    environment = dict(
        os.environ,
        DATABASE_URL=_database_url(),
        DJANGO_SETTINGS_MODULE="config.test_settings",
        **env,
    )
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                *(sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port)),
                "config.asgi:application",
            ],
            cwd=ROOT,
            env=environment,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                request = urllib.request.Request(
                    f"http://127.0.0.1:{port}/healthz", headers={"Host": "localhost"}
                )
                with urllib.request.urlopen(request, timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"daphne did not start:\n{log.read_text()}")
            time.sleep(0.2)
        yield LiveServer(port=port)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="session")
def daphne_server(councils, tmp_path_factory) -> Iterator[LiveServer]:
    """The shared live server; DEMO=1 because the tests open the demo's council pages, which
    carry the widget."""
    with live_daphne(tmp_path_factory.mktemp("daphne") / "daphne.log", DEMO="1") as server:
        yield server


CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-proxy-server",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # A page served by page.route() has no IP address, so Chromium's Local Network Access
    # checks would treat it as public and block its websocket to 127.0.0.1: a harness artefact.
    "--disable-features=LocalNetworkAccessChecks",
]


class ReducedMotionBrowser:
    """A Playwright Browser whose new contexts and pages prefer reduced motion.

    Animations make screenshots and axe scans depend on timing (axe sampled the widget's
    panel mid-fade, with its colours half transparent, and reported low contrast now and
    then). With `reduced_motion="reduce"` the widget and the console switch their animations
    off (`@media (prefers-reduced-motion: reduce)`), so every page is in its final state at
    once. A test can still ask for `reduced_motion="no-preference"` explicitly.
    """

    def __init__(self, browser) -> None:
        self._browser = browser

    def new_context(self, **options):
        options.setdefault("reduced_motion", "reduce")
        return self._browser.new_context(**options)

    def new_page(self, **options):
        options.setdefault("reduced_motion", "reduce")
        return self._browser.new_page(**options)

    def __getattr__(self, name: str):
        return getattr(self._browser, name)


@pytest.fixture(scope="module")
def browser(daphne_server):
    """Debian's Chromium through Playwright, one per test module, preferring reduced motion."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: apt-get install chromium (see README)")
    # Playwright's sync API runs an event loop on this thread, which makes Django refuse the
    # test's own ORM calls; this applies to the test process only (daphne runs without it).
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield ReducedMotionBrowser(browser)
            browser.close()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
