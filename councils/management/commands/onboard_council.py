"""python manage.py onboard_council: bring one council (or a CSV of them) onboard.

    onboard_council --name NAME --slug SLUG --host HOST [--host HOST ...]
                    --admin-email EMAIL [--admin-name NAME] [--name-cy WELSH_NAME]
                    [--partnership SLUG]
                    [--brand-colour #RRGGBB]
                    [--department NAME ...]
    onboard_council --csv FILE

Idempotent: a council that exists keeps its data; its name, partnership and hosts are
updated (the Welsh name only when one is given) and no second invitation is sent. See
docs/operations.md.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from councils.onboarding import (
    CREATE_METHODS,
    DEFAULT_BRAND_COLOUR,
    CouncilSpec,
    base_schema_prepare,
    council_onboard,
    councils_from_csv,
)


def _errors(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
    return " ".join(exc.messages)


class Command(BaseCommand):
    help = "Onboard a council (or many, from --csv): schema, roles, defaults, first admin."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--name")
        parser.add_argument("--slug")
        parser.add_argument("--host", action="append", default=[], dest="hosts")
        parser.add_argument("--admin-email")
        parser.add_argument("--admin-name", default="", help="The first admin's full name.")
        parser.add_argument(
            "--name-cy",
            default="",
            help="The council's Welsh name, for residents chatting in Welsh (optional).",
        )
        parser.add_argument("--partnership", default="", help="The partnership's slug.")
        parser.add_argument("--brand-colour", default=DEFAULT_BRAND_COLOUR)
        parser.add_argument(
            "--department",
            action="append",
            default=[],
            dest="departments",
            help="A department to create (repeatable); default: General enquiries.",
        )
        parser.add_argument(
            "--csv",
            help="A CSV with the columns name, slug, hosts, admin_email and optionally "
            "partnership, brand_colour, departments, admin_name, name_cy (hosts and departments "
            "split by ';').",
        )
        parser.add_argument(
            "--method",
            choices=CREATE_METHODS,
            default="clone",
            help="clone the prepared base schema (default) or run every migration.",
        )

    def handle(self, *args, **options) -> None:
        if options["csv"]:
            specs = self._from_csv(options["csv"])
        else:
            missing = [
                flag
                for flag, key in (
                    ("--name", "name"),
                    ("--slug", "slug"),
                    ("--host", "hosts"),
                    ("--admin-email", "admin_email"),
                )
                if not options[key]
            ]
            if missing:
                raise CommandError(f"Missing {', '.join(missing)} (or give --csv FILE).")
            specs = [
                (
                    0,
                    CouncilSpec(
                        name=options["name"],
                        slug=options["slug"],
                        hosts=tuple(options["hosts"]),
                        admin_email=options["admin_email"],
                        partnership_slug=options["partnership"],
                        brand_colour=options["brand_colour"],
                        departments=tuple(options["departments"]),
                        admin_name=options["admin_name"],
                        name_cy=options["name_cy"],
                    ),
                )
            ]
        if options["method"] == "clone" and base_schema_prepare(force_check=True):
            self.stdout.write("Base schema council_base migrated.")
        failures = 0
        for index, (line, spec) in enumerate(specs, start=1):
            where = f"line {line}: " if line else ""
            prefix = f"[{index}/{len(specs)}] {spec.slug}"
            try:
                result = council_onboard(spec, method=options["method"])
            except ValidationError as exc:
                failures += 1
                self.stderr.write(f"{prefix}: {where}not onboarded: {_errors(exc)}")
                continue
            if result.created:
                self.stdout.write(
                    f"{prefix}: created by {result.method} in {result.seconds:.2f} s; "
                    f"set-password link sent to {result.admin_email}"
                )
            else:
                self.stdout.write(
                    f"{prefix}: already onboarded; details and hosts updated "
                    f"({result.seconds:.2f} s)"
                )
        if failures:
            raise CommandError(f"{failures} of {len(specs)} councils were not onboarded.")

    def _from_csv(self, filename: str) -> list[tuple[int, CouncilSpec]]:
        try:
            with open(filename, newline="", encoding="utf-8-sig") as handle:
                plan = councils_from_csv(handle)
        except OSError as exc:
            raise CommandError(f"Cannot read {filename}: {exc.strerror}.") from exc
        if plan.problems:
            for problem in plan.problems:
                self.stderr.write(f"{filename}, line {problem.line}: {problem.message}")
            raise CommandError("Nothing was onboarded: fix the CSV and run this again.")
        return plan.specs
