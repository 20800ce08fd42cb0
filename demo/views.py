"""The demo's pretend council web pages, each carrying the widget's one script tag."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from councils.sites import Site
from demo.pages import DEMO_DEPARTMENTS, demo_page


def _site_title(site: Site) -> str:
    return site.council.name if site.council else site.partnership.name


def _page(request: HttpRequest, template: str, context: dict) -> HttpResponse:
    """A demo page. A member council's page also lets the widget reach its partnership's host
    (CSP connect-src): a chat passed to another member council carries on there (the
    `transferred` frame's websocket; its rating, transcript and files), and this host refuses
    the other council's token. A council's own website needs the same (docs/operations.md)."""
    response = render(request, template, context)
    site: Site = request.site_ref
    if site.council is not None and site.council.partnership_host:
        host = site.council.partnership_host
        # A source without a scheme does not match ws:// from an http:// page in Chromium.
        schemes = ("https", "wss") if request.is_secure() else ("http", "ws")
        response._csp_update = {"connect-src": [f"{scheme}://{host}:*" for scheme in schemes]}
    return response


@require_GET
def demo_index(request: HttpRequest) -> HttpResponse:
    """`/` on a council or partnership host: the council's (pretend) home page."""
    site: Site = request.site_ref
    return _page(
        request,
        "demo/index.html",
        {"site_title": _site_title(site), "site": site, "departments": DEMO_DEPARTMENTS},
    )


@require_GET
def demo_service_page(request: HttpRequest, path: str) -> HttpResponse:
    """A service page (e.g. /parking/pay-a-parking-fine) whose chat opens on its team."""
    found = demo_page("/" + path.rstrip("/"))
    if found is None:
        raise Http404("No such page")
    department, title, blurb = found
    site: Site = request.site_ref
    return _page(
        request,
        "demo/page.html",
        {
            "site_title": _site_title(site),
            "site": site,
            "department": department,
            "title": title,
            "blurb": blurb,
        },
    )


@require_GET
def public_index(request: HttpRequest) -> HttpResponse:
    """`/` on the public host: what the demo's hosts are."""
    return render(request, "demo/public_index.html")
