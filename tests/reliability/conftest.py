"""Fixtures of the fault tests: a Redis of the test's own (killed and restarted at will),
and cutting every connection to the test database as a PostgreSQL restart would."""

from __future__ import annotations

import psycopg
import pytest
from channels.layers import channel_layers

from tests.reliability.live import OwnRedis, django_database_url


@pytest.fixture(scope="module")
def own_redis():
    server = OwnRedis().start()
    yield server
    server.kill()


@pytest.fixture
def layer_on_own_redis(own_redis, settings):
    """This test's channel layer (and the broadcast sender's) talk to our own Redis."""
    if own_redis.process.poll() is not None:
        own_redis.start()
    config = settings.CHANNEL_LAYERS["default"]["CONFIG"]
    settings.CHANNEL_LAYERS = {
        "default": {
            **settings.CHANNEL_LAYERS["default"],
            "CONFIG": {**config, "hosts": [{**config["hosts"][0], "address": own_redis.url()}]},
        }
    }
    channel_layers.backends.pop("default", None)
    yield own_redis
    channel_layers.backends.pop("default", None)


@pytest.fixture
def connections_cut(committed):
    """Ends every connection to the test database, as a PostgreSQL restart would; the test
    process's own are reopened afterwards."""
    from django.db import connection

    from councils.tenancy import orm_thread_connections_close

    def cut() -> None:
        with psycopg.connect(django_database_url(), autocommit=True) as killer:
            killer.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )

    yield cut
    connection.close()
    orm_thread_connections_close()  # the consumers' two (councils/tenancy.py)
