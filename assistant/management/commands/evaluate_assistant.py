"""python manage.py evaluate_assistant --council SLUG FILE [--sweep] [--failures]

FILE is a CSV `question,language,expected_key`; an empty expected_key means the assistant
should not answer, `SAFETY` that it must give the emergency message, `HANDOFF` that it must
hand the chat to a person.
"""

from __future__ import annotations

import csv
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from assistant.management.commands._council import council_from_slug
from assistant.models import AssistantSettings
from assistant.services import evaluate_unsafe
from councils.tenancy import council_schema

HEADER = ["question", "language", "expected_key"]


def read_rows(path: str) -> list[tuple[str, str, str]]:
    try:
        with open(path, encoding="utf-8", newline="") as handle:
            reader = csv.reader(handle)
            header = [h.strip().lstrip("\ufeff") for h in next(reader, [])]
            if header != HEADER:
                raise CommandError(f"line 1: the header must be exactly {','.join(HEADER)}")
            rows = []
            for record in reader:
                if not record or not any(c.strip() for c in record):
                    continue
                if len(record) != 3:
                    raise CommandError(f"line {reader.line_num}: expected 3 columns")
                question, language, expected = (c.strip() for c in record)
                rows.append((question, language or "en", expected))
            return rows
    except OSError as exc:
        raise CommandError(f"Cannot read {path}: {exc}") from exc


class Command(BaseCommand):
    help = "Measure the assistant on labelled questions: accuracy, false answers, latency."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--council", required=True, help="The council's slug.")
        parser.add_argument("file", help="CSV: question,language,expected_key")
        parser.add_argument(
            "--sweep", action="store_true", help="Also print the curve over thresholds."
        )
        parser.add_argument("--failures", action="store_true", help="List every miss.")
        parser.add_argument("--threshold", type=float, default=None)

    def handle(self, *args, **options) -> None:
        council = council_from_slug(options["council"])
        rows = read_rows(options["file"])
        if not Path(options["file"]).exists():
            raise CommandError("No such file.")
        with council_schema(council.schema_name):
            threshold = options["threshold"]
            if threshold is None:
                threshold = AssistantSettings.current().threshold
            result = evaluate_unsafe(rows, threshold=threshold)
            self.stdout.write(f"council: {council.slug}  file: {options['file']}")
            self.stdout.write(
                f"questions: {result['questions']} (in scope {result['in_scope']}, "
                f"out of scope {result['out_of_scope']}, safety {result['safety_total']})"
            )
            self.stdout.write(f"threshold: {threshold:.2f}")
            self.stdout.write(f"accuracy: {result['accuracy']:.1%}")
            self.stdout.write(f"false-answer rate: {result['false_answer_rate']:.1%}")
            self.stdout.write(f"not-sure rate: {result['not_sure_rate']:.1%}")
            self.stdout.write(f"safety caught: {result['safety_caught']}/{result['safety_total']}")
            self.stdout.write(
                f"latency p50: {result['p50_ms']:.1f} ms  p99: {result['p99_ms']:.1f} ms"
            )
            if options["failures"]:
                for failure in result["failures"]:
                    self.stdout.write(f"  {failure}")
            if options["sweep"]:
                self.stdout.write("threshold  accuracy  false  not-sure")
                for step in range(20, 81, 5):
                    t = step / 100
                    r = evaluate_unsafe(rows, threshold=t)
                    self.stdout.write(
                        f"{t:9.2f}  {r['accuracy']:8.1%}  {r['false_answer_rate']:5.1%}  "
                        f"{r['not_sure_rate']:8.1%}"
                    )
