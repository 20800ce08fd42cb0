"""How report figures are shown: the same text in the tables, the charts and the CSV."""

from __future__ import annotations

from typing import Any

from chat.labels import duration_text

NONE = "\u2013"  # an en dash: no figure (nothing to measure)


def seconds(value: float | None) -> str:
    """A duration as people read it, to the whole second: "0 s", "45 s", "1 min 12 s"
    (issue 15: not "0.023779 s"). The CSV keeps the raw seconds."""
    if value is None:
        return NONE
    return duration_text(value)


def share(value: float | None) -> str:
    return NONE if value is None else f"{value * 100:.1f}%"


def decimal(value: float | None, places: int = 2) -> str:
    return NONE if value is None else f"{value:.{places}f}"


def count(value: Any) -> str:
    return "0" if value is None else str(int(value))
