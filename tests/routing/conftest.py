"""Partnership rules for the Wessex test partnership (alpha and beta), removed after each test."""

from __future__ import annotations

import pytest
from django.db import connection

from councils.models import (
    Council,
    Partnership,
    PartnershipService,
    PostcodeDistrict,
    RoutingDecision,
    RoutingRule,
)
from councils.partnership_routing import clear_rules_cache


@pytest.fixture
def wessex(committed):
    """Services highways and waste; AA1 and AA2 are alpha's, BB1 is beta's."""
    connection.set_schema_to_public()
    partnership = Partnership.objects.get(slug="wessex")
    alpha = Council.objects.get(slug="alpha")
    beta = Council.objects.get(slug="beta")
    highways = PartnershipService.objects.create(
        partnership=partnership, slug="highways", name="Highways"
    )
    waste = PartnershipService.objects.create(partnership=partnership, slug="waste", name="Waste")
    for outward, council in (("AA1", alpha), ("AA2", alpha), ("BB1", beta)):
        PostcodeDistrict.objects.create(
            partnership=partnership, outward_code=outward, council=council
        )
    yield {
        "partnership": partnership,
        "alpha": alpha,
        "beta": beta,
        "highways": highways,
        "waste": waste,
    }
    connection.set_schema_to_public()
    RoutingDecision.objects.filter(partnership=partnership).delete()
    RoutingRule.objects.filter(partnership=partnership).delete()
    PostcodeDistrict.objects.filter(partnership=partnership).delete()
    PartnershipService.objects.filter(partnership=partnership).delete()
    clear_rules_cache()


def add_rule(wessex, position: int, kind: str, **fields) -> RoutingRule:
    connection.set_schema_to_public()
    rule = RoutingRule(partnership=wessex["partnership"], position=position, kind=kind, **fields)
    rule.full_clean()
    rule.save()
    return rule
