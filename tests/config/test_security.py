"""Safe by default: production settings refuse to start without a SECRET_KEY, pass Django's
deployment checks, and every kind of page carries the security headers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

ROOT = Path(__file__).resolve().parents[2]


def django_with(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    """manage.py (or django.setup()) in a clean environment: nothing of ours inherited."""
    clean = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"), **env}  # noqa: S108
    command = (
        [sys.executable, *args]
        if args
        else [
            sys.executable,
            "-c",
            "import django; django.setup()",
        ]
    )
    return subprocess.run(
        command,
        cwd=ROOT,
        env={"DJANGO_SETTINGS_MODULE": "config.settings", **clean},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_without_debug_and_secret_key_django_refuses_to_start_and_says_what_to_set():
    started = django_with({})
    assert started.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY is not set" in started.stderr
    assert "Set the SECRET_KEY environment variable" in started.stderr


def test_with_a_secret_key_the_default_settings_pass_the_deployment_checks():
    checked = django_with(
        {"SECRET_KEY": "x" * 20 + "-a-long-random-production-key-0123456789"},
        "manage.py",
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_debug_alone_starts_with_a_development_key():
    assert django_with({"DEBUG": "1"}).returncode == 0


PAGES = [
    ("alpha.localhost", "/widget/config"),
    ("alpha.localhost", "/widget/embed.js"),
    ("alpha.localhost", "/widget/availability"),
    ("wessex.localhost", "/widget/config"),
    ("alpha.localhost", "/parking/pay-a-parking-fine"),  # a (demo) page with the widget
    ("alpha.localhost", "/console/"),  # to the login page
    ("alpha.localhost", "/admin/login/"),
    ("localhost", "/admin/login/"),
    ("alpha.localhost", "/healthz"),
    ("localhost", "/healthz"),
]


@pytest.mark.usefixtures("committed")
@pytest.mark.parametrize(("host", "path"), PAGES)
def test_every_kind_of_page_carries_the_security_headers(host, path):
    response = Client(HTTP_HOST=host).get(path, secure=True)

    assert response.status_code in (200, 302), response.status_code
    policy = dict(
        directive.strip().split(" ", 1)
        for directive in response["Content-Security-Policy"].split(";")
    )
    assert policy["script-src"] == "'self'"
    assert policy["object-src"] == "'none'" and policy["frame-ancestors"] == "'none'"
    assert response["Strict-Transport-Security"] == "max-age=31536000"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


def test_static_files_are_never_sniffed_as_another_type(councils):
    response = Client(HTTP_HOST="alpha.localhost").get("/static/console/console.js")
    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.usefixtures("committed")
def test_hsts_is_sent_only_over_https_and_session_cookies_are_secure_by_default(settings):
    plain = Client(HTTP_HOST="alpha.localhost").get("/healthz")
    assert "Strict-Transport-Security" not in plain
    checked = django_with(
        {"SECRET_KEY": "y" * 50},
        "-c",
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.DEBUG, s.DEMO, "
        "s.SECURE_HSTS_SECONDS)",
    )
    assert checked.stdout.split() == ["True", "True", "False", "False", "31536000"]
