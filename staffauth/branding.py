"""The council's own colours on its staff pages (issue 15): sign-in, sign-out, set-password,
password change and the admin itself carry the council's brand colour from its widget
branding (widgets.WidgetSettings), once it is a safe #rrggbb pair."""

from __future__ import annotations

import re

from django.http import HttpRequest

HEX = re.compile(r"#[0-9a-fA-F]{6}")
STAFF_PATHS = ("/admin/", "/console/")


def council_brand(request: HttpRequest) -> dict | None:
    """{"background", "text"} of the council on this host, or None (no council, unsafe
    colours). Precondition: the connection is on the host's schema (the middleware's)."""
    site = getattr(request, "site_ref", None)
    if site is None or site.council is None:
        return None
    from widgets.models import WidgetSettings

    row = WidgetSettings.objects.filter(pk=1).values("brand_colour", "text_colour").first()
    if row and HEX.fullmatch(row["brand_colour"]) and HEX.fullmatch(row["text_colour"]):
        return {"background": row["brand_colour"], "text": row["text_colour"]}
    return None


def staff_branding(request: HttpRequest) -> dict:
    """Template context processor: `brand` and `staff_council` on staff pages."""
    if not request.path.startswith(STAFF_PATHS):
        return {}
    site = getattr(request, "site_ref", None)
    council = site.council if site is not None else None
    return {"brand": council_brand(request), "staff_council": council}
