"""Is the PostgreSQL we were given durable enough for an ack to mean "stored"?

An ack tells a resident their message is stored. With `synchronous_commit=off` PostgreSQL
reports a commit before its WAL is flushed, so a server crash loses the last few hundred
milliseconds of commits: measured (issue 12) as 4 to 6 acked messages per crash, whose seq
numbers were then handed out again. `fsync=off` loses them on an operating-system crash.
Neither is ours to change on a server we are given, so we say so loudly: at every web
server start (`reliability.serve`) and in `manage.py check --deploy`.
"""

from __future__ import annotations

import logging

from django.core import checks
from django.db import connection

logger = logging.getLogger(__name__)

# The settings an ack depends on, and the value each must have.
REQUIRED = {"synchronous_commit": {"on", "remote_write", "remote_apply"}, "fsync": {"on"}}


def durability_problems() -> list[str]:
    """One sentence per setting of the connected server that can lose acked messages.

    Raises django.db.Error when the server cannot be reached (callers decide what that means).
    """
    problems = []
    with connection.cursor() as cursor:
        for name, good in REQUIRED.items():
            cursor.execute(f"SHOW {name}")
            value = cursor.fetchone()[0]
            if value not in good:
                problems.append(
                    f"PostgreSQL has {name}={value}: a server crash can lose messages that "
                    f"were already acked (set {name}=on)"
                )
    return problems


def warn_if_not_durable() -> list[str]:
    """Log a WARNING per durability problem (an unreachable server is logged, not raised)."""
    from django.db import Error

    try:
        problems = durability_problems()
    except Error as exc:
        logger.warning("durability check skipped: PostgreSQL did not answer (%s)", type(exc))
        return []
    finally:
        connection.close()
    for problem in problems:
        logger.warning("DURABILITY: %s", problem)
    return problems


@checks.register(checks.Tags.database, deploy=True)
def check_durability(app_configs=None, databases=None, **kwargs) -> list[checks.CheckMessage]:
    """`manage.py check --deploy` (and `check --database default`): warn on lossy settings."""
    from django.db import Error

    try:
        problems = durability_problems()
    except Error:
        return []  # no database here (e.g. an image build); the server start checks again
    return [
        checks.Warning(problem, id="reliability.W001", hint="docs/reliability.md")
        for problem in problems
    ]
