"""UK postcodes: validate, normalise, and find the district (outward code)."""

from __future__ import annotations

import re
from dataclasses import dataclass

# The letters each position may hold (the format Royal Mail allocates from, as set out in
# BS 7666 and the Cabinet Office's data standard; django-localflavor's GB pattern is the same
# but knows no outward-only district). First letter: not Q, V or X. Second letter: not I, J
# or Z. A letter third (A9A, central London): A-H, J, K, P, S, T, U, W. A letter fourth
# (AA9A): A, B, E, H, M, N, P, R, V, W, X, Y. Inward letters: never C, I, K, M, O or V.
_FIRST = "[A-PR-UWYZ]"
_SECOND = "[A-HK-Y]"
OUTWARD = (
    rf"(?:{_FIRST}[0-9]{{1,2}}"  # A9, A99: M1, B33
    rf"|{_FIRST}{_SECOND}[0-9]{{1,2}}"  # AA9, AA99: DT1, BH23
    rf"|{_FIRST}[0-9][A-HJKPSTUW]"  # A9A: W1A
    rf"|{_FIRST}{_SECOND}[0-9][ABEHMNPRVWXY])"  # AA9A: SW1A, EC1V
)
INWARD = r"[0-9][ABD-HJLNP-UW-Z]{2}"
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
