"""Signed visitor tokens: which council and conversation a widget may act for, until when."""

from dataclasses import dataclass
from uuid import UUID

from django.conf import settings
from django.core import signing

SALT = "councilchat.visitor-token"


@dataclass(frozen=True)
class VisitorGrant:
    council_id: int
    conversation_id: UUID


class TokenInvalid(Exception):
    code = "token_invalid"


class TokenExpired(TokenInvalid):
    code = "token_expired"


def visitor_token_issue(*, council_id: int, conversation_id: UUID) -> str:
    return signing.dumps({"c": council_id, "v": conversation_id.hex}, salt=SALT, compress=False)


def visitor_token_read(token: str, *, max_age: int | None = None) -> VisitorGrant:
    """Verify signature and age; raise TokenExpired or TokenInvalid."""
    age = settings.VISITOR_TOKEN_MAX_AGE if max_age is None else max_age
    try:
        data = signing.loads(token, salt=SALT, max_age=age)
    except signing.SignatureExpired as exc:
        raise TokenExpired("This chat link has expired.") from exc
    except signing.BadSignature as exc:
        raise TokenInvalid("This chat link is not valid.") from exc
    try:
        return VisitorGrant(council_id=int(data["c"]), conversation_id=UUID(data["v"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise TokenInvalid("This chat link is not valid.") from exc
