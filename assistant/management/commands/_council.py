"""The council a management command names with --council SLUG."""

from __future__ import annotations

from django.core.management.base import CommandError
from django.db import connection

from councils.sites import CouncilRef, council_ref_by_slug


def council_from_slug(slug: str) -> CouncilRef:
    connection.set_schema_to_public()
    council = council_ref_by_slug(slug)
    if council is None:
        raise CommandError(f"No council with slug {slug!r}.")
    return council
