"""Creating councils and partnerships (public schema)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from councils.models import Council, Partnership
from councils.onboarding import CouncilSpec, council_onboard


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
) -> tuple[Council, bool]:
    """The council, made through the production onboarding path if it does not exist yet
    (councils.onboarding.council_onboard, without an invitation); for one that exists, its
    name, partnership and hosts are brought up to date and nothing else changes (its branding
    is its admins'). For the benchmarks' fixtures; returns (council, created)."""
    result = council_onboard(
        CouncilSpec(
            name=name,
            slug=slug,
            hosts=tuple(hosts),
            admin_email=f"admin@{slug}.example.invalid",
            partnership_slug=partnership.slug if partnership else "",
            brand_colour=brand_colour,
        ),
        invite=False,
    )
    return result.council, result.created


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
