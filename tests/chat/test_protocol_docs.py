"""docs/protocol.md and chat/protocol.py cannot drift: every frame type of each socket and
direction is in both, and nothing more."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from chat.protocol import schemas

DOC = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"
SOCKETS = {
    "visitor": "## Visitor socket",
    "operator": "## Operator socket",
    "supervisor": "## Supervisor socket",
}
DIRECTIONS = {"client": "### Client → server", "server": "### Server → client"}


def _section(text: str, heading: str) -> str:
    """From `heading` to the next heading of the same level or higher."""
    level = heading.split(" ")[0]
    start = text.index(heading + "\n")
    rest = text[start + len(heading) + 1 :]
    ends = [m.start() for m in re.finditer(rf"^#{{1,{len(level)}}} ", rest, re.M)]
    return rest[: ends[0]] if ends else rest


def documented_types(socket: str, direction: str) -> set[str]:
    text = DOC.read_text(encoding="utf-8")
    table = _section(_section(text, SOCKETS[socket]), DIRECTIONS[direction])
    return set(re.findall(r'^\| `\{"type": "([a-z_]+)"', table, re.M))


@pytest.mark.parametrize("direction", ["client", "server"])
@pytest.mark.parametrize("socket", ["visitor", "operator", "supervisor"])
def test_every_frame_in_the_schema_is_documented_and_every_documented_frame_has_a_schema(
    socket, direction
):
    in_schema = set(schemas()[socket][direction])
    in_docs = documented_types(socket, direction)
    assert in_schema - in_docs == set(), "frames missing from docs/protocol.md"
    assert in_docs - in_schema == set(), "frames documented but without a schema"
