"""Which pages may call the widget's API, and the CORS headers that tell the browser so.

Shared by the views (`widgets.views.with_cors`) and the edge (`widgets.edge`), so a refusal
answered before Django carries exactly the headers Django's answer would.
"""

from __future__ import annotations

from councils.sites import Site


def origin_allowed(site: Site, origin: str | None) -> bool:
    """Requests with no Origin (not from a browser page) are allowed: CORS is a browser rule."""
    if origin is None:
        return True
    if site.council is not None:
        return site.council.allows_origin(origin)
    if site.partnership is not None:
        return any(c.allows_origin(origin) for c in site.partnership.councils)
    return False


def cors_headers(site: Site, origin: str | None) -> dict[str, str]:
    """The CORS headers for an answer to `origin` (none when it may not read the answer)."""
    if not origin or not origin_allowed(site, origin):
        return {}
    return {
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
        "Access-Control-Allow-Headers": "Content-Type, Authorization",
        "Access-Control-Max-Age": "600",
        "Vary": "Origin",
    }
