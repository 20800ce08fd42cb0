"""The widget's HTTP endpoints: config, starting a chat, the embed script, demo pages."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    JsonResponse,
)
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from councils.partnership_routing import partnership_rules
from councils.sites import CouncilRef, Site
from councils.tenancy import council_schema
from routing.selectors import department_list
from widgets.demo import DEMO_DEPARTMENTS, demo_page
from widgets.forms import ConversationStartForm, clean_prechat_fields, form_errors
from widgets.models import WidgetSettings
from widgets.services import WidgetChatRefused, widget_chat_start

EMBED_JS = Path(__file__).parent / "static" / "widgets" / "embed.js"


def origin_allowed(site: Site, origin: str | None) -> bool:
    """Requests with no Origin (not from a browser page) are allowed: CORS is a browser rule."""
    if origin is None:
        return True
    if site.council is not None:
        return site.council.allows_origin(origin)
    if site.partnership is not None:
        return any(c.allows_origin(origin) for c in site.partnership.councils)
    return False


def with_cors(request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
    origin = request.headers.get("Origin")
    if origin and origin_allowed(request.site_ref, origin):
        response["Access-Control-Allow-Origin"] = origin
        response["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
        response["Access-Control-Allow-Headers"] = "Content-Type"
        response["Access-Control-Max-Age"] = "600"
        response["Vary"] = "Origin"
    return response


def _council_json(council: CouncilRef) -> dict:
    with council_schema(council.schema_name):
        departments = [{"slug": d.slug, "name": d.name} for d in department_list()]
        branding = WidgetSettings.current()
    return {
        "slug": council.slug,
        "name": council.name,
        "brand_colour": branding.brand_colour,
        "logo_url": branding.logo_url,
        "departments": departments,
    }


@csrf_exempt
def widget_config(request: HttpRequest) -> HttpResponseBase:
    if request.method == "OPTIONS":
        return with_cors(request, HttpResponse(status=204))
    if request.method != "GET":
        return JsonResponse({"error": "method_not_allowed"}, status=405)
    site: Site = request.site_ref
    if site.council is not None:
        council = _council_json(site.council)
        body = {
            "kind": "council",
            "council": {k: v for k, v in council.items() if k != "departments"},
            "departments": council["departments"],
            "councils": [],
        }
    else:
        assert site.partnership is not None
        rules = partnership_rules(site.partnership.id)
        body = {
            "kind": "partnership",
            "council": None,
            "partnership": {"slug": site.partnership.slug, "name": site.partnership.name},
            "departments": [],
            "councils": [_council_json(c) for c in site.partnership.councils],
            "services": [
                {"slug": s.slug, "name": s.name, "asks_postcode": s.asks_postcode}
                for s in rules.services
            ],
        }
    body["message_max_chars"] = settings.MESSAGE_MAX_CHARS
    return with_cors(request, JsonResponse(body))


@csrf_exempt
def conversation_create(request: HttpRequest) -> HttpResponseBase:
    """POST /widget/conversations: parse and validate, then `widget_chat_start`."""
    if request.method == "OPTIONS":
        return with_cors(request, HttpResponse(status=204))
    if request.method != "POST":
        return JsonResponse({"error": "method_not_allowed"}, status=405)
    site: Site = request.site_ref
    if not origin_allowed(site, request.headers.get("Origin")):
        return JsonResponse(
            {"error": "origin_not_allowed", "detail": "This site may not embed this chat."},
            status=403,
        )
    try:
        data = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        data = None
    if not isinstance(data, dict):
        return _bad_request(request, {"__all__": ["Send a JSON object."]})
    form = ConversationStartForm(data={k: v for k, v in data.items() if k != "fields"})
    prechat, field_errors = clean_prechat_fields(data.get("fields"))
    errors = {} if form.is_valid() else form_errors(form)
    if field_errors:
        errors["fields"] = field_errors
    if errors:
        return _bad_request(request, errors)
    try:
        chat = widget_chat_start(site=site, form=form.cleaned_data, prechat=prechat)
    except WidgetChatRefused as refused:
        return with_cors(request, JsonResponse(refused.body, status=refused.status))
    scheme = "wss" if request.is_secure() else "ws"
    websocket = (
        f"{scheme}://{request.get_host()}/ws/visitor/{chat.conversation_id}/?token={chat.token}"
    )
    return with_cors(
        request,
        JsonResponse(
            {
                "conversation": chat.conversation_id,
                "token": chat.token,
                "websocket": websocket,
                "council": chat.council.slug,
                "department": chat.department_slug,
                "status": chat.status,
                "last_seq": chat.last_seq,
                "routed_by": chat.routed_by,
            },
            status=201,
        ),
    )


def _bad_request(request: HttpRequest, errors: dict[str, list[str]]) -> HttpResponseBase:
    return with_cors(request, JsonResponse({"errors": errors}, status=400))


@lru_cache(maxsize=1)
def _embed_source(mtime: float) -> bytes:
    return EMBED_JS.read_bytes()


@require_GET
def embed_js(request: HttpRequest) -> HttpResponse:
    """The one script a council puts on its pages; any site may load it, CORS guards the API."""
    source = _embed_source(EMBED_JS.stat().st_mtime)
    response = HttpResponse(source, content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "public, max-age=300"
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_GET
def demo_index(request: HttpRequest) -> HttpResponse:
    site: Site = request.site_ref
    title = site.council.name if site.council else site.partnership.name
    return render(
        request,
        "demo/index.html",
        {"site_title": title, "site": site, "departments": DEMO_DEPARTMENTS},
    )


@require_GET
def demo_service_page(request: HttpRequest, path: str) -> HttpResponse:
    found = demo_page("/" + path.rstrip("/"))
    if found is None:
        raise Http404("No such page")
    department, title, blurb = found
    site: Site = request.site_ref
    return render(
        request,
        "demo/page.html",
        {
            "site_title": site.council.name if site.council else site.partnership.name,
            "site": site,
            "department": department,
            "title": title,
            "blurb": blurb,
        },
    )
