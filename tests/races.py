"""How many rounds the race tests run: `RACE_ROUNDS` in the environment, else fewer in CI.

A race that loses one time in a thousand needs many rounds to show itself, and each round
costs real commits on several connections. CI (`CI` set, as .ci/run does) runs
CI_RACE_ROUNDS; a developer's run LOCAL_RACE_ROUNDS; a hunt for a rare race asks for more,
e.g. `RACE_ROUNDS=1000 make test PYTEST_ARGS="-k round"` (docs/operations.md, Testing).
"""

from __future__ import annotations

import os

CI_RACE_ROUNDS = 20
LOCAL_RACE_ROUNDS = 100


def race_rounds() -> int:
    """Rounds for a race test in this run (at least 1)."""
    configured = os.environ.get("RACE_ROUNDS", "").strip()
    if configured:
        try:
            return max(1, int(configured))
        except ValueError:
            raise ValueError(f"RACE_ROUNDS must be a whole number, not {configured!r}") from None
    return (
        CI_RACE_ROUNDS if os.environ.get("CI", "") not in ("", "0", "false") else LOCAL_RACE_ROUNDS
    )
