"""python manage.py erase_subject --council SLUG (--email … | --phone … | --name … |
--social-id …) [--dry-run]"""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django_tenants.utils import schema_context

from privacy.management.commands._council import (
    add_subject_arguments,
    command_actor,
    council_by_slug,
    subject_from,
)


class Command(BaseCommand):
    help = "Erase (anonymise) everything one council holds about a person; keep statistics."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--council", required=True, help="The council's slug.")
        add_subject_arguments(parser)
        parser.add_argument("--dry-run", action="store_true", help="Count; change nothing.")

    def handle(self, *args, **options) -> None:
        from privacy.erasure import erase_subject

        council = council_by_slug(options["council"])
        subject = subject_from(options)
        with schema_context(council.schema_name):
            result = erase_subject(
                subject=subject, actor=command_actor(), dry_run=options["dry_run"]
            )
        verb = "would erase" if result.dry_run else "erased"
        counts = ", ".join(f"{k}: {v}" for k, v in sorted(result.counts.items()))
        self.stdout.write(f"{council.name}: {verb} {counts}; kept under legal hold: {result.held}")
        if result.receipt_id:
            self.stdout.write(f"Erasure receipt {result.receipt_id}")
