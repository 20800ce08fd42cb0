"""Offboarding a council: export everything it has, then drop its schema and its rows.

The export is one JSON file: every row of every table in the council's schema (users with
their password hashes, departments, chats, messages, notes, settings…) in Django's
serialisation format, plus the council's public rows (the council, its hosts, the
partnership rules and postcode districts that name it, its routing decisions). Nothing is
dropped unless the export was written and read back.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core import serializers
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone
from django_tenants.utils import schema_context, schema_exists

from councils.models import Council, Domain, PostcodeDistrict, RoutingDecision, RoutingRule
from councils.sites import clear_site_cache

EXPORT_FORMAT = "councilchat-council-export/1"


class OffboardRefused(Exception):
    """The confirmation did not match, or the export could not be written."""


@dataclass(frozen=True)
class OffboardResult:
    slug: str
    export_path: Path
    rows_exported: int
    conversations_exported: int


def _tenant_models():
    """Every model stored in a council's schema (TENANT_APPS), in dependency-friendly order."""
    labels = [app.rsplit(".", 1)[-1] for app in settings.TENANT_APPS]
    for label in labels:
        # Only models with a table of their own (privacy.PrivacyTools only carries permissions).
        yield from (
            model
            for model in apps.get_app_config(label).get_models()
            if model._meta.managed and not model._meta.proxy
        )


def council_export_unsafe(council: Council) -> dict:
    """Everything of `council` as plain data (call in public; enters its schema itself)."""
    public = {
        "councils.council": serializers.serialize("python", [council]),
        "councils.domain": serializers.serialize("python", Domain.objects.filter(tenant=council)),
        "councils.routingrule": serializers.serialize(
            "python", RoutingRule.objects.filter(council=council)
        ),
        "councils.postcodedistrict": serializers.serialize(
            "python", PostcodeDistrict.objects.filter(council=council)
        ),
        "councils.routingdecision": serializers.serialize(
            "python", RoutingDecision.objects.filter(council=council)
        ),
    }
    tables: dict[str, list] = {}
    with schema_context(council.schema_name):
        for model in _tenant_models():
            label = model._meta.label_lower
            rows = serializers.serialize("python", model._default_manager.order_by("pk"))
            # Credentials stay behind (social connections' tokens): `EXPORT_EXCLUDE` on a model.
            for row in rows:
                for name in getattr(model, "EXPORT_EXCLUDE", ()):
                    row["fields"].pop(name, None)
            tables[label] = rows
    connection.set_schema_to_public()
    return {
        "format": EXPORT_FORMAT,
        "exported_at": timezone.now(),
        "council": {"name": council.name, "slug": council.slug, "schema": council.schema_name},
        "public": public,
        "schema": tables,
    }


def council_export_write(
    council: Council, directory: Path | None = None, *, hosts: list[dict] | None = None
) -> tuple[Path, dict]:
    """Write the export to `<directory>/<slug>-<timestamp>.json` (mode 600); path and data.

    `hosts`: the council's hosts when they were already removed (offboarding).
    """
    directory = Path(directory or settings.COUNCIL_EXPORT_DIR)
    directory.mkdir(parents=True, exist_ok=True)
    data = council_export_unsafe(council)
    if hosts:
        data["public"]["councils.domain"] = [
            {"model": "councils.domain", "fields": {**h, "tenant": council.pk}} for h in hosts
        ]
    path = directory / f"{council.slug}-{timezone.now():%Y%m%dT%H%M%S}.json"
    # The export holds personal data and password hashes: readable by its owner only.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(data, out, cls=DjangoJSONEncoder, ensure_ascii=False)
    with path.open(encoding="utf-8") as back:  # read it back before anything is dropped
        if json.load(back)["council"]["slug"] != council.slug:
            raise OffboardRefused(f"The export at {path} did not read back.")
    return path, data


def council_offboard(*, slug: str, confirm: str, directory: Path | None = None) -> OffboardResult:
    """Take the council's hosts away, export it, then drop its schema and delete its rows.

    `confirm` must be the council's slug, typed by a person (or passed by a script).

    Order matters. Other processes cache a host's council for HOST_CACHE_SECONDS, and a
    request for a council whose schema is gone would find the public schema's tables of the
    same name (users, sessions) on its search path. So the hosts go first, then we wait out
    those caches (COUNCIL_OFFBOARD_SETTLE_SECONDS), so that nothing is written after the
    export and nothing is served from a dropped schema; a failure after that point leaves the
    council without hosts but with all its data, and running this again finishes the job.
    """
    connection.set_schema_to_public()
    council = Council.objects.filter(slug=slug).first()
    if council is None:
        raise OffboardRefused(f"No council {slug!r}.")
    if confirm.strip() != council.slug:
        raise OffboardRefused(
            f"Confirmation {confirm!r} does not match the council's slug {council.slug!r}."
        )
    if not schema_exists(council.schema_name):
        raise OffboardRefused(f"The schema {council.schema_name} does not exist.")
    hosts = list(Domain.objects.filter(tenant=council).values("domain", "is_primary"))
    if hosts:
        Domain.objects.filter(tenant=council).delete()
        clear_site_cache()
        time.sleep(settings.COUNCIL_OFFBOARD_SETTLE_SECONDS)
    path, data = council_export_write(council, directory, hosts=hosts)
    rows = sum(len(v) for v in data["schema"].values())
    conversations = len(data["schema"].get("chat.conversation", []))
    with transaction.atomic():
        # CASCADE removes its hosts, the partnership rules and districts naming it, and its
        # routing decisions; force_drop drops the schema in the same transaction.
        council.delete(force_drop=True)
    clear_site_cache()
    return OffboardResult(slug, path, rows, conversations)
