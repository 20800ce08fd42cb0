"""The demo: the Dorsetforyou partnership's seven councils and Somerset on its own.

Run by `manage.py seed_demo` (`make demo`) on every start, so it only ever creates what is
missing and never changes what is there: a council is made through the production onboarding
path (councils.onboarding.council_onboard) and filled with the demo's branding only when this
run made it; departments, pages, logins, questions, links and routing rows are created when
absent (by their natural keys) and otherwise left as an admin left them (issue 15, point 9:
a restart used to reset branding an admin had changed). A login's password is set when the
login is created; `make clean` starts the demo afresh.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import connection
from django_tenants.utils import schema_context, schema_exists

from assistant.demo import seed_assistant_demo
from chat.models import CannedResponse
from councils.models import (
    Council,
    Partnership,
    PartnershipService,
    PostcodeDistrict,
    RoutingRule,
)
from councils.onboarding import CouncilSpec, council_onboard, roles_ensure
from demo.pages import DEMO_DEPARTMENTS, DemoDepartment
from routing.models import Closure, Department, OpeningHours, ServicePage
from social.demo import seed_social_demo
from staffauth.demo import DemoTwoFactor, demo_council_sign_in, demo_manager_two_factor
from widgets.models import OfflineLink, PrechatField, WidgetSettings

WASTE = DemoDepartment("waste", "Waste and recycling", (), "Gwastraff ac ailgylchu")

PARTNERSHIP = ("Dorsetforyou", "dorsetforyou", "dorsetforyou.localhost")


@dataclass(frozen=True)
class DemoCouncil:
    name: str
    slug: str
    host: str
    brand_colour: str
    partnership: bool  # a member of the Dorsetforyou partnership


# Welsh names (issue 15), shown to residents chatting in Welsh: "Cyngor Sir" for a county
# council, "Cyngor Bwrdeistref" for a borough, "Cyngor Dosbarth" for a district; the place
# names keep their English form except where Welsh has its own (Gwlad yr Haf for Somerset).
# Drafted by the team, for a Welsh speaker's review (docs/widget.md, "Welsh language").
WELSH_NAMES = {
    "dorset": "Cyngor Sir Dorset",
    "christchurch": "Cyngor Bwrdeistref Christchurch",
    "east-dorset": "Cyngor Dosbarth Dwyrain Dorset",
    "north-dorset": "Cyngor Dosbarth Gogledd Dorset",
    "purbeck": "Cyngor Dosbarth Purbeck",
    "west-dorset": "Cyngor Dosbarth Gorllewin Dorset",
    "weymouth-portland": "Cyngor Bwrdeistref Weymouth a Portland",
    "somerset": "Cyngor Sir Gwlad yr Haf",
}


DEMO_COUNCILS = (
    DemoCouncil("Dorset County Council", "dorset", "dorset.localhost", "#00594f", True),
    DemoCouncil(
        "Christchurch Borough Council", "christchurch", "christchurch.localhost", "#1d4f91", True
    ),
    DemoCouncil(
        "East Dorset District Council", "east-dorset", "east-dorset.localhost", "#6f2c91", True
    ),
    DemoCouncil(
        "North Dorset District Council", "north-dorset", "north-dorset.localhost", "#005a30", True
    ),
    DemoCouncil("Purbeck District Council", "purbeck", "purbeck.localhost", "#8c2a0c", True),
    DemoCouncil(
        "West Dorset District Council", "west-dorset", "west-dorset.localhost", "#0b4f6c", True
    ),
    DemoCouncil(
        "Weymouth & Portland Borough Council",
        "weymouth-portland",
        "weymouth-portland.localhost",
        "#00467f",
        True,
    ),
    DemoCouncil("Somerset County Council", "somerset", "somerset.localhost", "#7a1e47", False),
)
# Demo data, not authoritative boundaries: postcode districts of the old Dorset districts.
POSTCODE_DISTRICTS = {
    "west-dorset": ("DT1", "DT2", "DT6", "DT7", "DT8", "DT9"),
    "weymouth-portland": ("DT3", "DT4", "DT5"),
    "christchurch": ("BH23",),
    "purbeck": ("BH16", "BH19", "BH20"),
    "north-dorset": ("DT10", "DT11", "SP7", "SP8"),
    "east-dorset": ("BH21", "BH22", "BH31"),
}
SERVICES = (
    ("highways", "Highways", "Priffyrdd"),
    ("waste", "Waste and recycling", "Gwastraff ac ailgylchu"),
)
# username -> (first name, last name, council admin?): alex is in the "Council admins" group,
# sam in "Operators" (councils/onboarding.py); neither is a superuser.
OPERATORS = {"alex": ("Alex", "Morgan", True), "sam": ("Sam", "Patel", False)}
MANAGER_USERNAME = "manager"
OFFLINE_MODE = {"dorset": "contact", "christchurch": "links", "somerset": "hours"}
WEEKDAYS = range(5)


@dataclass
class SeedReport:
    councils_created: list[str] = field(default_factory=list)
    councils_kept: list[str] = field(default_factory=list)
    manager_two_factor: DemoTwoFactor | None = None


def seed_demo(*, password: str) -> SeedReport:
    """Create whatever of the demo is missing; change nothing that exists."""
    report = SeedReport()
    encoded = make_password(password)  # hashed once; every demo login shares it
    connection.set_schema_to_public()
    name, slug, domain = PARTNERSHIP
    partnership, _ = Partnership.objects.get_or_create(
        slug=slug, defaults={"name": name, "domain": domain}
    )
    for spec in DEMO_COUNCILS:
        existing = Council.objects.filter(slug=spec.slug).first()
        created = existing is None or not schema_exists(existing.schema_name)
        if created:
            council = council_onboard(
                CouncilSpec(
                    name=spec.name,
                    slug=spec.slug,
                    hosts=(spec.host,),
                    admin_email=f"admin@{spec.slug}.example.invalid",
                    partnership_slug=partnership.slug if spec.partnership else "",
                    brand_colour=spec.brand_colour,
                    departments=("Parking",),  # the rest below, under the demo's own slugs
                    name_cy=WELSH_NAMES.get(spec.slug, ""),
                ),
                invite=False,  # the demo's logins are alex and sam, made below
            ).council
        else:
            council = existing
            if not council.name_cy and council.name == spec.name and spec.slug in WELSH_NAMES:
                # A demo made before councils had Welsh names: added, never replacing one an
                # admin wrote (nor given to a council an admin renamed).
                Council.objects.filter(pk=council.pk).update(name_cy=WELSH_NAMES[spec.slug])
        (report.councils_created if created else report.councils_kept).append(spec.slug)
        with schema_context(council.schema_name):
            _seed_council_schema(encoded, slug=spec.slug, branding=created)
            # Messenger and WhatsApp for West Dorset and Somerset (social/demo.py).
            seed_social_demo(council_id=council.pk, slug=spec.slug)
            demo_council_sign_in()  # admins without two-factor in the demo (staffauth/demo.py)
            seed_assistant_demo(spec.slug)  # knowledge, synonyms and mode (assistant/demo.py)
    _seed_partnership_routing(partnership)
    manager, _ = _user_ensure(MANAGER_USERNAME, "Pat", "Manager", encoded, superuser=True)
    report.manager_two_factor = demo_manager_two_factor(manager)
    return report


def _seed_partnership_routing(partnership: Partnership) -> None:
    """Highways always go to the county; bins go to the district that holds the postcode."""
    services = {}
    for position, (slug, name, name_cy) in enumerate(SERVICES):
        service, _ = PartnershipService.objects.get_or_create(
            partnership=partnership,
            slug=slug,
            defaults={"name": name, "name_cy": name_cy, "position": position},
        )
        if not service.name_cy and service.name == name:  # added where missing, as above
            PartnershipService.objects.filter(pk=service.pk).update(name_cy=name_cy)
        services[slug] = service
    councils = {c.slug: c for c in Council.objects.filter(partnership=partnership)}
    for council_slug, districts in POSTCODE_DISTRICTS.items():
        if council_slug not in councils:
            continue  # an admin moved it out of the partnership
        for outward in districts:
            PostcodeDistrict.objects.get_or_create(
                partnership=partnership,
                outward_code=outward,
                defaults={"council": councils[council_slug], "is_demo_data": True},
            )
    rules = [
        {
            "position": 10,
            "kind": RoutingRule.Kind.SERVICE,
            "service": services["highways"],
            "council": councils.get("dorset"),
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
        if rule["kind"] == RoutingRule.Kind.SERVICE and rule["council"] is None:
            continue
        RoutingRule.objects.get_or_create(
            partnership=partnership, position=rule["position"], defaults=rule
        )


def _seed_council_schema(encoded_password: str, *, slug: str, branding: bool) -> None:
    """Inside the council's schema. `branding`: the council is new, so its widget settings
    (one row that always exists) take the demo's; otherwise they stay as they are."""
    admins, operators = roles_ensure()  # councils made before the roles existed get them too
    departments = []
    for position, spec in enumerate((*DEMO_DEPARTMENTS, WASTE)):
        department, _ = Department.objects.get_or_create(
            slug=spec.slug,
            defaults={"name": spec.name, "name_cy": spec.name_cy, "position": position},
        )
        if not department.name_cy and department.name == spec.name:
            # A Welsh name is missing (a department made by onboarding, or by an older demo):
            # added, never replacing one an admin wrote.
            Department.objects.filter(pk=department.pk).update(name_cy=spec.name_cy)
        departments.append(department)
        for title, path, _blurb in spec.pages:
            ServicePage.objects.get_or_create(
                path=path, defaults={"title": title, "department": department}
            )
    for username, (first, last, is_admin) in OPERATORS.items():
        user, created = _user_ensure(username, first, last, encoded_password, superuser=False)
        if created:
            user.departments.set(departments)
            user.groups.set([admins if is_admin else operators])
    if branding:
        _widget_branding_set(slug)
    _widget_rows_ensure(slug)
    _canned_replies_ensure(slug)


def _user_ensure(username: str, first: str, last: str, encoded_password: str, *, superuser: bool):
    return get_user_model().objects.get_or_create(
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


def _widget_branding_set(slug: str) -> None:
    """A new demo council's look: greetings, Welsh for Dorset, Somerset's quick exit and
    left-hand launcher, and an out-of-hours choice per council."""
    settings = WidgetSettings.current()
    for name, value in {
        "text_colour": "#ffffff",
        "greeting": "Hello. Ask us anything about our services.",
        "greeting_cy": "Helo. Gofynnwch unrhyw beth i ni am ein gwasanaethau.",
        "launcher_text": "Chat with us",
        "launcher_text_cy": "Sgwrsiwch â ni",
        "launcher_position": "left" if slug == "somerset" else "right",
        "offer_welsh": slug == "dorset",
        "privacy_notice_url": f"https://www.{slug}.gov.uk/privacy",
        "offline_mode": OFFLINE_MODE.get(slug, "hours"),
        "offline_message": "Sorry, there is nobody available to chat right now.",
        "offline_message_cy": "Mae'n ddrwg gennym, does neb ar gael i sgwrsio ar hyn o bryd.",
        "quick_exit_enabled": slug == "somerset",
    }.items():
        setattr(settings, name, value)
    settings.full_clean()
    settings.save()


def _widget_rows_ensure(slug: str) -> None:
    """Pre-chat questions, offline links and opening hours, where missing. Dorset's Parking
    stays open round the clock (no hours), because scripts/smoke_demo.py starts a chat there
    at any hour."""
    PrechatField.objects.get_or_create(
        key="email",
        defaults={
            "label": "Email address",
            "label_cy": "Cyfeiriad e-bost",
            "kind": "email",
            "required": False,
            "help_text": "So we can reply if the chat drops.",
            "help_text_cy": "Er mwyn i ni allu ateb os bydd y sgwrs yn torri.",
            "position": 1,
        },
    )
    if slug == "somerset":
        # Only here: scripts/smoke_demo.py starts Dorset chats without pre-chat answers.
        PrechatField.objects.get_or_create(
            key="consent",
            defaults={
                "label": "I agree that the council may keep a record of this chat",
                "label_cy": "Rwy'n cytuno y caiff y cyngor gadw cofnod o'r sgwrs hon",
                "kind": "consent",
                "required": True,
                "position": 9,
            },
        )
    for position, (title, title_cy, url) in enumerate(
        (
            ("Contact us", "Cysylltu â ni", f"https://www.{slug}.gov.uk/contact"),
            ("Report a problem", "Rhoi gwybod am broblem", f"https://www.{slug}.gov.uk/report"),
        )
    ):
        OfflineLink.objects.get_or_create(
            url=url, defaults={"title": title, "title_cy": title_cy, "position": position}
        )
    general = Department.objects.filter(slug="general").first()
    if general is not None and not general.hours.exists():
        for weekday in WEEKDAYS:
            OpeningHours.objects.create(
                department=general, weekday=weekday, opens=time(9), closes=time(17)
            )
        # Saturday evening until 2 a.m. Sunday: a span past midnight.
        OpeningHours.objects.create(department=general, weekday=5, opens=time(18), closes=time(2))
        Closure.objects.get_or_create(
            date=date(date.today().year, 12, 24),
            department=general,
            defaults={"reason": "Staff training"},
        )


# ---- Canned replies (issue 15, point 9) ---------------------------------------------------
# (shortcut, department slug or None for every department, title, body). The console fills
# {visitor_name}, {operator_name} and {council} when an operator inserts one (docs/operator-
# guide.md). The links are each demo council's made-up www.<slug>.gov.uk site.
DEMO_CANNED = (
    (
        "hello",
        None,
        "Greeting",
        "Hello {visitor_name}, I'm {operator_name} from {council}. How can I help you today?",
    ),
    (
        "pcn",
        "parking",
        "Pay a parking fine",
        "You can pay a parking fine (Penalty Charge Notice) online at "
        "https://www.{slug}.gov.uk/parking/pay-a-parking-fine. You will need the 10-character "
        "PCN number from the top of the notice. The charge is halved if you pay within 14 days.",
    ),
    (
        "bins",
        None,
        "Bin collection day",
        "You can check your bin collection day at https://www.{slug}.gov.uk/bins/collection-day: "
        "enter your postcode and choose your address.",
    ),
    (
        "pothole",
        "highways",
        "Report a pothole",
        "Thank you, {visitor_name}. You can report a pothole at https://www.{slug}.gov.uk/report "
        "with the street name and the nearest house number; a photo helps us find it.",
    ),
    (
        "bye",
        None,
        "Closing",
        "Thank you for contacting {council}, {visitor_name}. If you need anything else, "
        "start a new chat at any time.",
    ),
)


# The same replies in Welsh, for the councils whose chat offers Welsh (Dorset in the demo),
# under the same shortcuts: the console lists a Welsh chat's Welsh replies first. {council}
# is left out where Welsh grammar would mutate the name after a preposition ("o Gyngor",
# "â Chyngor"); "ar ran" takes no mutation. Drafted by the team, for a Welsh speaker's review.
DEMO_CANNED_CY = (
    (
        "hello",
        None,
        "Cyfarch",
        "Helo {visitor_name}, {operator_name} ydw i, yn ateb ar ran {council}. Sut alla i eich "
        "helpu heddiw?",
    ),
    (
        "pcn",
        "parking",
        "Talu dirwy parcio",
        "Gallwch dalu dirwy parcio (Hysbysiad Tâl Cosb) ar-lein yn "
        "https://www.{slug}.gov.uk/parking/pay-a-parking-fine. Bydd angen y rhif PCN 10 nod o "
        "frig yr hysbysiad arnoch chi. Mae'r tâl yn cael ei haneru os ydych chi'n talu o fewn "
        "14 diwrnod.",
    ),
    (
        "bins",
        None,
        "Diwrnod casglu biniau",
        "Gallwch weld eich diwrnod casglu biniau yn https://www.{slug}.gov.uk/bins/collection-day: "
        "rhowch eich cod post a dewiswch eich cyfeiriad.",
    ),
    (
        "pothole",
        "highways",
        "Rhoi gwybod am dwll yn y ffordd",
        "Diolch, {visitor_name}. Gallwch roi gwybod am dwll yn y ffordd yn "
        "https://www.{slug}.gov.uk/report gydag enw'r stryd a rhif y tŷ agosaf; mae llun yn ein "
        "helpu i ddod o hyd iddo.",
    ),
    (
        "bye",
        None,
        "Cloi",
        "Diolch am gysylltu â ni, {visitor_name}. Os oes angen unrhyw beth arall arnoch chi, "
        "dechreuwch sgwrs newydd unrhyw bryd.",
    ),
)


def _canned_replies_ensure(slug: str) -> None:
    """The demo's canned replies, each created only when its shortcut is missing (for its
    department and language): one an admin edited keeps the admin's words. Welsh ones only
    where the council's chat offers Welsh."""
    departments = {d.slug: d for d in Department.objects.all()}
    replies = [(reply, CannedResponse.Language.ENGLISH) for reply in DEMO_CANNED]
    if WidgetSettings.current().offer_welsh:
        replies += [(reply, CannedResponse.Language.WELSH) for reply in DEMO_CANNED_CY]
    for (shortcut, department_slug, title, body), language in replies:
        department = departments.get(department_slug) if department_slug else None
        if department_slug and department is None:
            continue  # an admin removed that department
        CannedResponse.objects.get_or_create(
            shortcut=shortcut,
            department=department,
            language=language,
            defaults={"title": title, "body": body.replace("{slug}", slug)},
        )
