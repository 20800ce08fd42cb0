"""python manage.py import_knowledge --council SLUG FILE [--replace]"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from assistant.knowledge import KnowledgeImportError, knowledge_import
from assistant.management.commands._council import council_from_slug
from councils.tenancy import council_schema


class Command(BaseCommand):
    help = (
        "Import a council's assistant knowledge from a UTF-8 CSV "
        "(key,language,questions,answer,link_url,link_text,department). All or nothing."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--council", required=True, help="The council's slug.")
        parser.add_argument("file", help="The CSV file.")
        parser.add_argument(
            "--replace", action="store_true", help="Remove entries that are not in the file."
        )

    def handle(self, *args, **options) -> None:
        council = council_from_slug(options["council"])
        try:
            text = Path(options["file"]).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"Cannot read {options['file']}: {exc}") from exc
        with council_schema(council.schema_name):
            try:
                report = knowledge_import(text, replace=options["replace"])
            except KnowledgeImportError as exc:
                for error in exc.errors:
                    self.stderr.write(error)
                raise CommandError(f"{len(exc.errors)} bad row(s): nothing was imported.") from exc
        self.stdout.write(
            f"{council.slug}: {report.created} created, {report.updated} updated, "
            f"{report.removed} removed."
        )
