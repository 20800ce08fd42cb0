"""A PostgreSQL that can lose acked messages is reported (reliability/durability.py); the
crash itself is in test_faults.py."""

from __future__ import annotations

import logging

import pytest
from django.core.management import call_command
from django.db import connection

from reliability.durability import check_durability, durability_problems, warn_if_not_durable

pytestmark = pytest.mark.usefixtures("committed")


def test_the_test_server_is_durable_and_nothing_is_reported():
    assert durability_problems() == []
    assert check_durability() == []


def test_given_synchronous_commit_off_then_the_check_and_the_start_warning_say_so(caplog):
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit = off")
    try:
        (warning,) = check_durability()
        assert warning.id == "reliability.W001" and "synchronous_commit=off" in warning.msg
        with connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit = off")
        with caplog.at_level(logging.WARNING, logger="reliability.durability"):
            assert warn_if_not_durable()
        assert any("synchronous_commit=off" in r.getMessage() for r in caplog.records)
    finally:
        connection.close()


def test_manage_py_check_deploy_runs_the_durability_check(capsys):
    call_command("check", "--deploy", "--fail-level", "CRITICAL")
    assert "reliability.W001" not in capsys.readouterr().err
