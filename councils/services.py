"""Creating councils and partnerships (public schema)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django_tenants.utils import schema_context, schema_exists

from councils.models import Council, Domain, Partnership
from widgets.models import WidgetSettings


@transaction.atomic
def partnership_ensure(*, name: str, slug: str, domain: str) -> Partnership:
    partnership, _ = Partnership.objects.update_or_create(
        slug=slug, defaults={"name": name, "domain": domain.lower()}
    )
    return partnership


def council_ensure(
    *,
    name: str,
    slug: str,
    hosts: Iterable[str],
    partnership: Partnership | None = None,
    brand_colour: str = "#1d4f91",
    logo_url: str = "",
) -> tuple[Council, bool]:
    """Create the council (its schema cloned from the migrated base), or update its details.

    Idempotent. The schema and the council's row are made in one transaction (see
    councils/onboarding.py); a row left without a schema by an older, failed run gets one.
    """
    from councils.onboarding import base_schema_prepare, council_create

    existing = Council.objects.filter(slug=slug).first()
    created = existing is None or not schema_exists(existing.schema_name)
    if created:
        base_schema_prepare()  # outside the transaction: migrating the base commits
    with transaction.atomic():
        council = council_create(name=name, slug=slug, partnership=partnership)
        with schema_context(council.schema_name):
            branding = WidgetSettings.current()
            if created or (brand_colour, logo_url) != ("#1d4f91", ""):
                branding.brand_colour, branding.logo_url = brand_colour, logo_url
                branding.full_clean()
                branding.save()
        hosts = [h.lower() for h in hosts]
        for index, host in enumerate(hosts):
            Domain.objects.update_or_create(
                domain=host, defaults={"tenant": council, "is_primary": index == 0}
            )
    return council, created


def record_routing_decision(
    *,
    partnership_id: int,
    council_id: int,
    conversation_id,
    routed_by: dict,
    service_slug: str,
    postcode,
    page_url: str,
) -> None:
    """Keep why a partnership chat went where it did (public schema; no personal data)."""
    from urllib.parse import urlsplit

    from django.db import connection

    from councils.models import RoutingDecision

    connection.set_schema_to_public()
    RoutingDecision.objects.create(
        partnership_id=partnership_id,
        council_id=council_id,
        conversation_id=conversation_id,
        rule_id=routed_by.get("rule"),
        kind=routed_by["kind"],
        label=routed_by["label"][:300],
        service_slug=service_slug,
        postcode_district=postcode.outward if postcode else "",
        page_path=urlsplit(page_url).path[:300] if page_url else "",
    )
