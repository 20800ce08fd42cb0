"""What the widget is told: a council's branding, form, offline options and availability,
in the visitor's language. Every function returns plain data (dicts), evaluated inside the
council's schema, so nothing lazy leaves it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils import formats, timezone
from django.utils.translation import override

from assistant.selectors import assistant_takes_chat, assistant_widget
from attachments.selectors import attachments_widget
from councils.local_cache import ExpiringCache
from councils.partnership_routing import partnership_rules
from councils.sites import CouncilRef, Site
from councils.tenancy import council_schema
from routing.availability import queue_refusal
from routing.hours import schedule_for, weekly_hours
from routing.models import Department
from routing.selectors import department_for_chat
from widgets.models import OfflineLink, PrechatField, WidgetSettings
from widgets.strings import weekday_names, widget_strings

LANGUAGES = ("en", "cy")


def _in(language: str, english: str, welsh: str) -> str:
    """Council text in the visitor's language, English when the Welsh is blank."""
    return welsh if language == "cy" and welsh.strip() else english


def languages_offered(branding: WidgetSettings) -> list[str]:
    return ["en", "cy"] if branding.offer_welsh else ["en"]


def pick_language(branding: WidgetSettings, requested: str | None) -> str:
    """The visitor's choice when the council offers it, else the council's default."""
    offered = languages_offered(branding)
    if requested in offered:
        return requested
    return branding.default_language if branding.default_language in offered else "en"


def next_open_text(when: datetime | None, language: str) -> str:
    if when is None:
        return ""
    with override(language):
        local = timezone.localtime(when)
        if local.date() == timezone.localdate():
            return formats.time_format(local, "H:i")
        return formats.date_format(local, "l j F, H:i")


def availability(
    department: Department | None, language: str, *, at: datetime | None = None
) -> dict[str, Any]:
    """{"online", "reason", "next_open", "next_open_text", "hours"}: call in the schema."""
    schedule = schedule_for(department, today=timezone.localdate(at) if at else None)
    refusal = queue_refusal(department, at=at, schedule=schedule)
    days = weekday_names(language)
    hours = [{**span, "day": days[span["weekday"]]} for span in weekly_hours(schedule)]
    next_open = refusal.next_open if refusal else None
    # The council's assistant takes the chat (issue 14): chat is available with nobody online.
    bot = assistant_takes_chat(department, refusal)
    if bot:
        refusal = None
    answer = {
        "online": refusal is None,
        "reason": refusal.reason if refusal else None,
        "next_open": next_open.isoformat() if next_open else None,
        "next_open_text": next_open_text(next_open, language),
        "hours": hours,
    }
    if bot:
        answer["assistant"] = True
    return answer


def _choices(raw: str, language: str) -> list[dict[str, str]]:
    found = []
    for line in raw.splitlines():
        english, _, welsh = (part.strip() for part in line.partition("|"))
        if english:
            found.append({"value": english, "label": _in(language, english, welsh)})
    return found


def prechat_fields(language: str) -> list[dict[str, Any]]:
    return [
        {
            "key": f.key,
            "kind": f.kind,
            "label": _in(language, f.label, f.label_cy),
            "help_text": _in(language, f.help_text, f.help_text_cy),
            "required": f.required,
            "choices": _choices(f.choices, language) if f.kind == f.Kind.CHOICE else [],
        }
        for f in PrechatField.objects.all()
    ]


def council_branding() -> dict[str, str]:
    """The colours and logo a chat shows under this council's name (a chat transferred to
    it takes them: `transferred` frame). Call in the council's schema."""
    branding = WidgetSettings.current()
    return {
        "brand_colour": branding.brand_colour,
        "text_colour": branding.text_colour,
        "logo_url": branding.logo_url,
    }


def council_widget(
    council: CouncilRef,
    *,
    requested_language: str | None,
    department_slug: str = "",
    page_url: str = "",
) -> dict[str, Any]:
    """One council's part of the config: branding, texts, form, offline options, availability."""
    with council_schema(council.schema_name):
        branding = WidgetSettings.current()
        language = pick_language(branding, requested_language)
        department, _error = department_for_chat(
            slug=department_slug, page_url=page_url, strict=False
        )
        departments = [
            {"slug": d.slug, "name": _in(language, d.name, d.name_cy)}
            for d in Department.objects.all()
        ]
        links = [
            {"title": _in(language, link.title, link.title_cy), "url": link.url}
            for link in OfflineLink.objects.all()
        ]
        return {
            "slug": council.slug,
            # In a Welsh chat the council's Welsh name, when it has one (issue 15).
            "name": council.name_in(language),
            "language": language,
            "languages": languages_offered(branding),
            "brand_colour": branding.brand_colour,
            "text_colour": branding.text_colour,
            "logo_url": branding.logo_url,
            "greeting": _in(language, branding.greeting, branding.greeting_cy),
            "launcher_text": _in(language, branding.launcher_text, branding.launcher_text_cy),
            "launcher_position": branding.launcher_position,
            "privacy_notice_url": _in(
                language, branding.privacy_notice_url, branding.privacy_notice_url_cy
            ),
            "lawful_basis": _in(language, branding.lawful_basis, branding.lawful_basis_cy),
            "offline": {
                "mode": branding.offline_mode,
                "message": _in(language, branding.offline_message, branding.offline_message_cy),
                "links": links,
            },
            "quick_exit": (
                {"url": branding.quick_exit_url} if branding.quick_exit_enabled else None
            ),
            "transcript_enabled": branding.transcript_enabled,
            "rating_enabled": branding.rating_enabled,
            "fields": prechat_fields(language),
            "departments": departments,
            "department": department.slug if department else None,
            "availability": availability(department, language),
            "assistant": assistant_widget(language),
            # Photos and PDFs residents may send (None: not offered), issue 15.
            "attachments": attachments_widget(),
        }


def council_language(council: CouncilRef, requested: str | None) -> str:
    with council_schema(council.schema_name):
        return pick_language(WidgetSettings.current(), requested)


def widget_config_for(
    site: Site, *, language: str | None, department_slug: str = "", page_url: str = ""
) -> dict[str, Any]:
    """GET /widget/config: what the widget offers on this host, in the visitor's language."""
    if site.council is not None:
        council = council_widget(
            site.council,
            requested_language=language,
            department_slug=department_slug,
            page_url=page_url,
        )
        body = {
            "kind": "council",
            "council": council,
            "departments": council["departments"],
            "councils": [],
            "language": council["language"],
            "languages": council["languages"],
            "availability": council["availability"],
        }
    else:
        assert site.partnership is not None
        rules = partnership_rules(site.partnership.id)
        councils = [
            council_widget(c, requested_language=language, page_url=page_url)
            for c in site.partnership.councils
        ]
        offered = ["en", "cy"] if any("cy" in c["languages"] for c in councils) else ["en"]
        shown = language if language in offered else "en"
        # The council picker and the services are read in the widget's language, also for a
        # member that does not chat in Welsh itself (issue 15).
        for entry, ref in zip(councils, site.partnership.councils, strict=True):
            entry["name"] = ref.name_in(shown)
        online = [c for c in councils if c["availability"]["online"]]
        body = {
            "kind": "partnership",
            "council": None,
            "partnership": {"slug": site.partnership.slug, "name": site.partnership.name},
            "departments": [],
            "councils": councils,
            "services": [
                {
                    "slug": s.slug,
                    "name": s.name_cy if shown == "cy" and s.name_cy else s.name,
                    "asks_postcode": s.asks_postcode,
                }
                for s in rules.services
            ],
            "language": shown,
            "languages": offered,
            # Which council answers is decided when the chat starts: the shared widget is
            # online while any member council is.
            "availability": {
                "online": bool(online),
                "reason": None if online or not councils else councils[0]["availability"]["reason"],
                "next_open": None,
                "next_open_text": "",
                "hours": [],
            },
        }
    body["message_max_chars"] = settings.MESSAGE_MAX_CHARS
    body["strings"] = widget_strings(body["language"])
    return body


# (host, language, department, page) -> the config: each process's copy, bounded because the
# page address comes from visitors. Keyed by host, so one council's answer is never another's.
_configs: ExpiringCache[tuple[str, str | None, str, str], dict[str, Any]] = ExpiringCache(
    10, max_entries=500
)


def widget_config_cached(
    site: Site, *, language: str | None, department_slug: str = "", page_url: str = ""
) -> dict[str, Any]:
    """`widget_config_for`, kept for `WIDGET_CONFIG_CACHE_SECONDS` per process.

    Every page with the widget asks for it, and every open widget polls its availability each
    minute; a partnership's answer reads every member council's schema. Callers must not
    change the dict they get.
    """
    seconds = settings.WIDGET_CONFIG_CACHE_SECONDS
    if seconds <= 0:
        return widget_config_for(
            site, language=language, department_slug=department_slug, page_url=page_url
        )
    _configs.seconds = seconds
    return _configs.get_or_load(
        (site.host, language, department_slug, page_url),
        lambda _key: widget_config_for(
            site, language=language, department_slug=department_slug, page_url=page_url
        ),
    )


def clear_widget_config_cache() -> None:
    _configs.clear()
