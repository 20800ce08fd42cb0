"""The demo: the Dorsetforyou partnership's seven councils and Somerset on its own.

Idempotent: running it again updates names, hosts, departments and passwords in place.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django_tenants.utils import schema_context

from assistant.demo import seed_assistant_demo
from councils.onboarding import roles_ensure
from councils.services import council_ensure, partnership_ensure
from routing.models import Department, ServicePage
from widgets.demo import DEMO_DEPARTMENTS, DemoDepartment
from widgets.demo_seed import seed_widget_demo

WASTE = DemoDepartment("waste", "Waste and recycling", ())

PARTNERSHIP = ("Dorsetforyou", "dorsetforyou", "dorsetforyou.localhost")
# (name, slug, host, brand colour)
PARTNERSHIP_COUNCILS = (
    ("Dorset County Council", "dorset", "dorset.localhost", "#00594f"),
    ("Christchurch Borough Council", "christchurch", "christchurch.localhost", "#1d4f91"),
    ("East Dorset District Council", "east-dorset", "east-dorset.localhost", "#6f2c91"),
    ("North Dorset District Council", "north-dorset", "north-dorset.localhost", "#005a30"),
    ("Purbeck District Council", "purbeck", "purbeck.localhost", "#8c2a0c"),
    ("West Dorset District Council", "west-dorset", "west-dorset.localhost", "#0b4f6c"),
    (
        "Weymouth & Portland Borough Council",
        "weymouth-portland",
        "weymouth-portland.localhost",
        "#00467f",
    ),
)
STANDALONE_COUNCILS = (("Somerset County Council", "somerset", "somerset.localhost", "#7a1e47"),)
# Demo data, not authoritative boundaries: postcode districts of the old Dorset districts.
POSTCODE_DISTRICTS = {
    "west-dorset": ("DT1", "DT2", "DT6", "DT7", "DT8", "DT9"),
    "weymouth-portland": ("DT3", "DT4", "DT5"),
    "christchurch": ("BH23",),
    "purbeck": ("BH16", "BH19", "BH20"),
    "north-dorset": ("DT10", "DT11", "SP7", "SP8"),
    "east-dorset": ("BH21", "BH22", "BH31"),
}
SERVICES = (("highways", "Highways"), ("waste", "Waste and recycling"))
# username -> (first name, last name, council admin?): alex is in the "Council admins" group,
# sam in "Operators" (councils/onboarding.py); neither is a superuser.
OPERATORS = {"alex": ("Alex", "Morgan", True), "sam": ("Sam", "Patel", False)}
MANAGER_USERNAME = "manager"


@dataclass
class SeedReport:
    councils_created: list[str] = field(default_factory=list)
    councils_updated: list[str] = field(default_factory=list)


def seed_demo(*, password: str) -> SeedReport:
    report = SeedReport()
    encoded = make_password(password)  # hashed once; every demo login shares it
    name, slug, domain = PARTNERSHIP
    partnership = partnership_ensure(name=name, slug=slug, domain=domain)
    plan = [(c, partnership) for c in PARTNERSHIP_COUNCILS]
    plan += [(c, None) for c in STANDALONE_COUNCILS]
    for (council_name, council_slug, host, colour), member_of in plan:
        council, created = council_ensure(
            name=council_name,
            slug=council_slug,
            hosts=[host],
            partnership=member_of,
            brand_colour=colour,
        )
        (report.councils_created if created else report.councils_updated).append(council_slug)
        with schema_context(council.schema_name):
            _seed_council_schema(encoded)
            seed_assistant_demo(council_slug)  # issue 14: knowledge, synonyms, mode
    _seed_partnership_routing(partnership)
    _ensure_user(MANAGER_USERNAME, "Pat", "Manager", encoded, superuser=True)
    return report


def _seed_partnership_routing(partnership) -> None:
    """Highways always go to the county; bins go to the district that holds the postcode."""
    from councils.models import Council, PartnershipService, PostcodeDistrict, RoutingRule

    services = {}
    for position, (slug, name) in enumerate(SERVICES):
        services[slug], _ = PartnershipService.objects.update_or_create(
            partnership=partnership, slug=slug, defaults={"name": name, "position": position}
        )
    councils = {c.slug: c for c in Council.objects.filter(partnership=partnership)}
    for council_slug, districts in POSTCODE_DISTRICTS.items():
        for outward in districts:
            PostcodeDistrict.objects.update_or_create(
                partnership=partnership,
                outward_code=outward,
                defaults={"council": councils[council_slug], "is_demo_data": True},
            )
    rules = [
        {
            "position": 10,
            "kind": RoutingRule.Kind.SERVICE,
            "service": services["highways"],
            "council": councils["dorset"],
            "department_slug": "highways",
            "label": "Highways are the county's, wherever you live",
        },
        {
            "position": 20,
            "kind": RoutingRule.Kind.SERVICE_POSTCODE,
            "service": services["waste"],
            "department_slug": "waste",
            "label": "Waste and recycling goes to the district council for your postcode",
        },
        {
            "position": 30,
            "kind": RoutingRule.Kind.PICKED_COUNCIL,
            "label": "The council you chose",
        },
    ]
    for rule in rules:
        RoutingRule.objects.update_or_create(
            partnership=partnership, position=rule["position"], defaults=rule
        )


def _seed_council_schema(encoded_password: str) -> None:
    admins, operators = roles_ensure()  # councils made before the roles existed get them too
    departments = []
    for position, spec in enumerate((*DEMO_DEPARTMENTS, WASTE)):
        department, _ = Department.objects.update_or_create(
            slug=spec.slug, defaults={"name": spec.name, "position": position}
        )
        departments.append(department)
        for title, path, _blurb in spec.pages:
            ServicePage.objects.update_or_create(
                path=path, defaults={"title": title, "department": department}
            )
    for username, (first, last, is_admin) in OPERATORS.items():
        user = _ensure_user(username, first, last, encoded_password, superuser=False)
        user.departments.set(departments)
        user.groups.set([admins if is_admin else operators])
    seed_widget_demo()


def _ensure_user(username: str, first: str, last: str, encoded_password: str, *, superuser: bool):
    user, _ = get_user_model().objects.update_or_create(
        username=username,
        defaults={
            "first_name": first,
            "last_name": last,
            "email": f"{username}@example.invalid",
            "is_staff": True,
            "is_superuser": superuser,
            "is_active": True,
            "password": encoded_password,
        },
    )
    return user
