"""python manage.py export_knowledge --council SLUG FILE"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand

from assistant.knowledge import knowledge_export
from assistant.management.commands._council import council_from_slug
from councils.tenancy import council_schema


class Command(BaseCommand):
    help = "Export a council's assistant knowledge as CSV (the import format)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--council", required=True, help="The council's slug.")
        parser.add_argument("file", help="Where to write the CSV ('-' for standard output).")

    def handle(self, *args, **options) -> None:
        council = council_from_slug(options["council"])
        with council_schema(council.schema_name):
            text = knowledge_export()
        if options["file"] == "-":
            self.stdout.write(text, ending="")
        else:
            Path(options["file"]).write_text(text, encoding="utf-8")
            self.stdout.write(f"{council.slug}: {text.count(chr(10)) - 1} rows written.")
