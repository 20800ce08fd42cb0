"""Adding, changing, testing and removing a council's Messenger and WhatsApp connections.

Each Page id / phone number id is claimed in the public index (social.hub.SocialAccount)
in the same transaction as the council's own row: an id belongs to one council only, and
the webhook routes by that index.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from social import graph
from social.hub.models import SocialAccount
from social.models import SocialConnection

TAKEN = "This {label} is already connected to another council."


def id_taken_elsewhere(*, kind: str, external_id: str, council_id: int) -> bool:
    return (
        SocialAccount.objects.filter(kind=kind, external_id=external_id)
        .exclude(council_id=council_id)
        .exists()
    )


def _label(kind: str) -> str:
    return "Page id" if kind == "messenger" else "phone number id"


@transaction.atomic
def connection_save(*, council_id: int, connection: SocialConnection, token: str = "") -> None:
    """Save a connection (a new token only if given) and claim its id for this council.

    Precondition: in the council's schema (the index is reached through `public` on the
    search path). Raises ValidationError when another council has the id.
    """
    if id_taken_elsewhere(
        kind=connection.kind, external_id=connection.external_id, council_id=council_id
    ):
        raise ValidationError({"external_id": TAKEN.format(label=_label(connection.kind))})
    previous = None
    if connection.pk:
        previous = (
            SocialConnection.objects.filter(pk=connection.pk).values("kind", "external_id").first()
        )
    if token:
        connection.set_token(token.strip())
    connection.save()
    if previous and (previous["kind"], previous["external_id"]) != (
        connection.kind,
        connection.external_id,
    ):
        SocialAccount.objects.filter(council_id=council_id, **previous).delete()
    try:
        with transaction.atomic():
            SocialAccount.objects.get_or_create(
                kind=connection.kind,
                external_id=connection.external_id,
                defaults={"council_id": council_id},
            )
    except IntegrityError:  # claimed by another council a moment ago
        raise ValidationError(
            {"external_id": TAKEN.format(label=_label(connection.kind))}
        ) from None


@transaction.atomic
def connection_delete(*, council_id: int, connection: SocialConnection) -> None:
    SocialAccount.objects.filter(
        council_id=council_id, kind=connection.kind, external_id=connection.external_id
    ).delete()
    connection.delete()


def connection_test(*, connection: SocialConnection) -> tuple[bool, str]:
    """Ask the Graph API whether the stored token works for this Page or number."""
    token = connection.token
    if not token:
        ok, detail = False, "No token stored (or SOCIAL_TOKEN_KEY changed): paste it again."
    else:
        try:
            ok, detail = (
                True,
                graph.connection_check(
                    kind=connection.kind, external_id=connection.external_id, token=token
                ),
            )
        except graph.GraphError as err:
            ok, detail = False, err.detail
    SocialConnection.objects.filter(pk=connection.pk).update(
        last_tested_at=timezone.now(), last_test_ok=ok, last_test_detail=detail[:200]
    )
    return ok, detail
