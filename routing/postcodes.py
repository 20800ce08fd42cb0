"""UK postcodes: validate, normalise, and find the district (outward code)."""

from __future__ import annotations

import re
from dataclasses import dataclass

OUTWARD = r"[A-Z]{1,2}[0-9][A-Z0-9]?"
INWARD = r"[0-9][A-Z]{2}"
_FULL = re.compile(rf"^({OUTWARD})({INWARD})$")
_OUTWARD_ONLY = re.compile(rf"^({OUTWARD})$")
INVALID_MESSAGE = "Enter a real UK postcode, like DT1 1XJ."


class InvalidPostcode(ValueError):
    pass


@dataclass(frozen=True)
class Postcode:
    outward: str
    inward: str = ""

    def __str__(self) -> str:
        return f"{self.outward} {self.inward}".strip()


def parse_postcode(raw: str) -> Postcode:
    """`' dt1 1xj '` -> Postcode('DT1', '1XJ'); `'dt1'` -> Postcode('DT1'); else InvalidPostcode."""
    compact = re.sub(r"\s+", "", raw or "").upper()
    if compact == "GIR0AA":
        return Postcode("GIR", "0AA")
    full = _FULL.match(compact)
    if full:
        return Postcode(full.group(1), full.group(2))
    outward = _OUTWARD_ONLY.match(compact)
    if outward:
        return Postcode(outward.group(1))
    raise InvalidPostcode(INVALID_MESSAGE)
