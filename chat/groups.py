"""Channel-layer group names. Every name carries the council, since ids repeat across schemas.

Group names allow [a-zA-Z0-9-_.] and must stay under 100 characters: `t<council id>.` plus a
UUID's 32 hex digits keeps well inside that.
"""

from uuid import UUID


def conversation_group(council_id: int, conversation_id: UUID | str) -> str:
    """Everyone in one chat: the visitor's sockets and the assigned operator's."""
    return f"t{council_id}.conv.{UUID(str(conversation_id)).hex}"


def queue_group(council_id: int) -> str:
    """Every operator socket of the council: queue changes."""
    return f"t{council_id}.queue"


def operator_group(council_id: int, user_id: int) -> str:
    """All sockets (tabs, devices) of one operator."""
    return f"t{council_id}.op.{user_id}"


def waiting_group(council_id: int) -> str:
    """Every queued visitor's socket: one message tells them all the new queue order."""
    return f"t{council_id}.waiting"
