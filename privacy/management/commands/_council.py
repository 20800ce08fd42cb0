"""Shared by the privacy commands: --council SLUG, the subject options, the actor."""

from __future__ import annotations

import getpass

from django.core.management.base import CommandError

from privacy.audit import Actor
from privacy.registry import Subject


def council_by_slug(slug: str):
    from councils.models import Council

    council = Council.objects.filter(slug=slug).first()
    if council is None:
        raise CommandError(f"No council with slug {slug!r}.")
    return council


def add_subject_arguments(parser) -> None:
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--email")
    group.add_argument("--phone")
    group.add_argument("--name")
    group.add_argument("--social-id", dest="social_id")


def subject_from(options) -> Subject:
    subject = Subject(
        email=(options.get("email") or "").strip(),
        phone=(options.get("phone") or "").strip(),
        name=(options.get("name") or "").strip(),
        social_id=(options.get("social_id") or "").strip(),
    )
    if not subject.kind:
        raise CommandError("Give a non-empty --email, --phone, --name or --social-id.")
    if subject.phone and not subject.phone_digits:
        raise CommandError("--phone needs digits.")
    return subject


def command_actor() -> Actor:
    try:
        user = getpass.getuser()
    except Exception:  # no login name in some containers
        user = "unknown"
    return Actor(name=f"manage.py ({user})", source="command")
