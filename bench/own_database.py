"""A benchmark that needs Django and a database of its own (bench/onboarding_bench.py,
bench/reports_bench.py): `<DATABASE_URL's name>_<suffix>`, dropped and created for the run and
dropped after it unless kept, so that a run never touches the developer's or the tests'
data; the machine it ran on is recorded beside the figures."""

from __future__ import annotations

import datetime as dt
import os
import platform
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent


def bench_database_url(suffix: str) -> tuple[str, str]:
    url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/councilchat")
    parts = urlsplit(url)
    name = f"{parts.path.lstrip('/')}_{suffix}"
    return urlunsplit(parts._replace(path="/" + name)), name


def _admin_url(url: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/postgres"))


def drop_database(url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(_admin_url(url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def recreate_database(url: str, name: str) -> None:
    import psycopg

    drop_database(url, name)
    with psycopg.connect(_admin_url(url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')


def run_in_own_database(
    suffix: str, run: Callable[[str], dict[str, Any]], *, keep: bool, log: Callable[[str], None]
) -> dict[str, Any]:
    """Set up Django on a fresh database and return `run(url)`'s figures with the machine's."""
    url, name = bench_database_url(suffix)
    log(f"database {name} (dropped and created)")
    recreate_database(url, name)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    os.environ["EMAIL_URL"] = "dummymail://"  # built and "sent", never delivered
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    try:
        data = run(url)
    finally:
        from django.db import connections

        connections.close_all()
        if not keep:
            drop_database(url, name)
    data.update(
        when=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        machine=f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}",
        database_host=urlsplit(url).hostname,
    )
    return data
