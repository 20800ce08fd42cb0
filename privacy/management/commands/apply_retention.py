"""python manage.py apply_retention --council SLUG [--as-of YYYY-MM-DD] [--dry-run]"""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django_tenants.utils import schema_context

from privacy.management.commands._council import command_actor, council_by_slug


class Command(BaseCommand):
    help = "Remove the personal data the council's retention schedule says is due."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--council", required=True, help="The council's slug.")
        parser.add_argument(
            "--as-of",
            help="Evaluate the schedule as if it were this date (YYYY-MM-DD, end of day "
            "excluded: midnight at its start, UK time). Default: now.",
        )
        parser.add_argument("--dry-run", action="store_true", help="Count; change nothing.")

    def handle(self, *args, **options) -> None:
        from privacy.retention import apply_retention

        council = council_by_slug(options["council"])
        as_of = timezone.now()
        if options["as_of"]:
            try:
                day = datetime.strptime(options["as_of"], "%Y-%m-%d").date()
            except ValueError as exc:
                raise CommandError("--as-of takes a date as YYYY-MM-DD.") from exc
            as_of = datetime.combine(day, time.min, tzinfo=ZoneInfo(settings.TIME_ZONE))
        with schema_context(council.schema_name):
            result = apply_retention(as_of=as_of, dry_run=options["dry_run"], actor=command_actor())
        self.stdout.write(f"{council.name}:")
        for line in result.lines():
            self.stdout.write(line)
