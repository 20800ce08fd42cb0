"""Demo widget settings for each demo council: branding, greetings, pre-chat questions,
opening hours, offline options; Dorset offers Welsh, and Somerset has the quick exit, a
required consent question and its launcher on the left.

Called inside each council's schema by councils.demo (idempotent). Dorset's Parking stays open
round the clock, because scripts/smoke_demo.py starts a chat there at any hour.
"""

from __future__ import annotations

from datetime import date, time

from django.db import connection

from routing.models import Closure, Department, OpeningHours
from widgets.models import OfflineLink, PrechatField, WidgetSettings

BRAND = {
    "dorset": "#00594f",
    "christchurch": "#1d4f91",
    "east-dorset": "#6f2c91",
    "north-dorset": "#005a30",
    "purbeck": "#8c2a0c",
    "west-dorset": "#0b4f6c",
    "weymouth-portland": "#00467f",
    "somerset": "#7a1e47",
}
OFFLINE_MODE = {"dorset": "contact", "christchurch": "links", "somerset": "hours"}
WEEKDAYS = range(5)


def seed_widget_demo() -> None:
    slug = connection.schema_name.replace("_", "-")
    from councils.models import Council

    council = Council.objects.filter(schema_name=connection.schema_name).first()
    if council is not None:
        slug = council.slug
    WidgetSettings.objects.update_or_create(
        pk=1,
        defaults={
            "brand_colour": BRAND.get(slug, "#1d4f91"),
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
        },
    )
    PrechatField.objects.update_or_create(
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
        PrechatField.objects.update_or_create(
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
        OfflineLink.objects.update_or_create(
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
