"""python manage.py subject_access --council SLUG (--email E | --phone P | --name N |
--social-id ID) --out FILE.zip"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import schema_context

from privacy.management.commands._council import (
    add_subject_arguments,
    command_actor,
    council_by_slug,
    subject_from,
)


class Command(BaseCommand):
    help = "Export everything one council holds about a person (a subject access request)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--council", required=True, help="The council's slug.")
        add_subject_arguments(parser)
        parser.add_argument("--out", required=True, help="Where to write the zip file.")

    def handle(self, *args, **options) -> None:
        from privacy.access import subject_access

        council = council_by_slug(options["council"])
        subject = subject_from(options)
        out = Path(options["out"])
        if not out.parent.exists():
            raise CommandError(f"No directory {out.parent}.")
        with schema_context(council.schema_name):
            result = subject_access(
                subject=subject, actor=command_actor(), council_name=council.name
            )
        out.write_bytes(result.zip_bytes)
        counts = ", ".join(f"{k}: {v}" for k, v in sorted(result.counts.items()))
        self.stdout.write(f"{council.name}: wrote {out} ({counts})")
