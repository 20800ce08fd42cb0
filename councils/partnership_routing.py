"""Which member council (and department) a chat started on a partnership's site goes to.

A partnership's rules are read once into plain values and cached per process for a few
seconds, so routing a chat costs no query however many rules there are; a save in the admin
clears this process's copy (others catch up within `RULES_CACHE_SECONDS`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.db import connection

from councils.local_cache import ExpiringCache
from councils.sites import CouncilRef, PartnershipRef
from routing.postcodes import Postcode

RULES_CACHE_SECONDS = 30.0


@dataclass(frozen=True)
class CompiledRule:
    id: int
    kind: str
    label: str
    council_id: int | None
    department_slug: str
    service_slug: str
    page_prefix: str = ""
    page_regex: re.Pattern | None = None

    def matches_page(self, path: str) -> bool:
        if self.page_regex is not None:
            return self.page_regex.search(path) is not None
        return bool(self.page_prefix) and path.startswith(self.page_prefix)


@dataclass(frozen=True)
class ServiceInfo:
    slug: str
    name: str
    asks_postcode: bool
    name_cy: str = ""  # the Welsh name (issue 15), blank when none


@dataclass(frozen=True)
class PartnershipRules:
    rules: tuple[CompiledRule, ...]
    services: tuple[ServiceInfo, ...]
    districts: dict[str, int]  # outward code -> council id

    def service(self, slug: str) -> ServiceInfo | None:
        return next((s for s in self.services if s.slug == slug), None)


@dataclass(frozen=True)
class RouteRequest:
    picked_council: str = ""
    page_url: str = ""
    service: str = ""
    postcode: Postcode | None = None


@dataclass(frozen=True)
class RouteDecision:
    council: CouncilRef
    department_slug: str
    rule_id: int | None
    kind: str
    label: str

    def routed_by(self) -> dict:
        return {"rule": self.rule_id, "kind": self.kind, "label": self.label}


def route_chat(
    partnership: PartnershipRef, rules: PartnershipRules, request: RouteRequest
) -> RouteDecision | None:
    """The first rule that decides wins; then the visitor's own pick; else None (ask them)."""
    path = urlsplit(request.page_url).path or "/" if request.page_url else ""
    for rule in rules.rules:
        decision = _apply(rule, partnership, rules, request, path)
        if decision is not None:
            return decision
    picked = partnership.member(request.picked_council) if request.picked_council else None
    if picked is not None:
        return RouteDecision(picked, "", None, "picked_council", f"Visitor chose {picked.name}")
    return None


def _apply(
    rule: CompiledRule,
    partnership: PartnershipRef,
    rules: PartnershipRules,
    request: RouteRequest,
    path: str,
) -> RouteDecision | None:
    council: CouncilRef | None = None
    label = rule.label
    if rule.kind == "picked_council":
        if request.picked_council:
            council = partnership.member(request.picked_council)
            label = label or (f"Visitor chose {council.name}" if council else "")
    elif rule.kind == "page":
        if path and rule.matches_page(path):
            council = partnership.member(rule.council_id)
    elif rule.kind == "service":
        if request.service and request.service == rule.service_slug:
            council = partnership.member(rule.council_id)
    elif rule.kind == "service_postcode":
        if request.service == rule.service_slug and request.postcode is not None:
            council_id = rules.districts.get(request.postcode.outward)
            council = partnership.member(council_id) if council_id else None
            if council is not None:
                label = label or f"{request.postcode.outward} is served by {council.name}"
    elif rule.kind == "fallback":
        council = partnership.member(rule.council_id)
    if council is None:
        return None
    department = rule.department_slug or request.service
    return RouteDecision(
        council=council,
        department_slug=department,
        rule_id=rule.id,
        kind=rule.kind,
        label=label or f"Rule {rule.id}",
    )


_rules: ExpiringCache[int, PartnershipRules] = ExpiringCache(RULES_CACHE_SECONDS)


def clear_rules_cache() -> None:
    _rules.clear()


def partnership_rules(partnership_id: int) -> PartnershipRules:
    """Precondition: sync code; switches the connection to the public schema."""
    return _rules.get_or_load(partnership_id, _load)


def _load(partnership_id: int) -> PartnershipRules:
    from councils.models import PartnershipService, PostcodeDistrict, RoutingRule

    connection.set_schema_to_public()
    compiled = []
    postcode_services: set[str] = set()
    for rule in RoutingRule.objects.filter(
        partnership_id=partnership_id, is_active=True
    ).select_related("service"):
        regex = None
        if rule.kind == RoutingRule.Kind.PAGE and rule.page_match == RoutingRule.Match.REGEX:
            try:
                regex = re.compile(rule.page_pattern)
            except re.error:
                continue  # validated on save; a bad one must not break every chat
        service_slug = rule.service.slug if rule.service else ""
        if rule.kind == RoutingRule.Kind.SERVICE_POSTCODE:
            postcode_services.add(service_slug)
        compiled.append(
            CompiledRule(
                id=rule.id,
                kind=rule.kind,
                label=rule.label,
                council_id=rule.council_id,
                department_slug=rule.department_slug,
                service_slug=service_slug,
                page_prefix=rule.page_pattern if regex is None else "",
                page_regex=regex,
            )
        )
    services = tuple(
        ServiceInfo(s.slug, s.name, s.slug in postcode_services, s.name_cy)
        for s in PartnershipService.objects.filter(partnership_id=partnership_id)
    )
    districts = dict(
        PostcodeDistrict.objects.filter(partnership_id=partnership_id).values_list(
            "outward_code", "council_id"
        )
    )
    return PartnershipRules(rules=tuple(compiled), services=services, districts=districts)
