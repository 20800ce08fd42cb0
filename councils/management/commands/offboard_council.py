"""python manage.py offboard_council --slug SLUG: export the council, then drop it.

Asks for the slug to be typed again, unless --confirm SLUG or --yes-i-am-sure is given.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from councils.models import Council
from councils.offboarding import OffboardRefused, council_offboard


class Command(BaseCommand):
    help = "Export everything of a council to a JSON file, then drop its schema and rows."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--slug", required=True)
        parser.add_argument("--confirm", default=None, help="The slug again (for scripts).")
        parser.add_argument("--yes-i-am-sure", action="store_true")
        parser.add_argument("--output-dir", type=Path, default=None)

    def handle(self, *args, **options) -> None:
        slug = options["slug"]
        council = Council.objects.filter(slug=slug).first()
        if council is None:
            raise CommandError(f"No council {slug!r}.")
        confirm = options["confirm"]
        if options["yes_i_am_sure"]:
            confirm = slug
        if confirm is None:
            self.stdout.write(
                f"This exports and then DELETES {council.name} ({council.schema_name}): its "
                "operators, chats and settings, and its hosts stop working."
            )
            confirm = input(f"Type the council's slug ({slug}) to go on: ")
        try:
            result = council_offboard(slug=slug, confirm=confirm, directory=options["output_dir"])
        except OffboardRefused as exc:
            raise CommandError(f"Nothing was deleted: {exc}") from exc
        self.stdout.write(
            f"Exported {result.rows_exported} rows ({result.conversations_exported} chats) to "
            f"{result.export_path}; {slug} is offboarded."
        )
