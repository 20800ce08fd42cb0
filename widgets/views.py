"""The widget's HTTP endpoints: config, starting a chat, the embed script."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from uuid import UUID

from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    JsonResponse,
)
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from chat.selectors import transcript_status
from councils.sites import CouncilRef, Site
from councils.tenancy import council_schema
from reliability.validation import InvalidInput, parse_checked
from widgets import schemas
from widgets.cors import cors_headers, origin_allowed
from widgets.edge import invalid_body
from widgets.forms import (
    ConversationStartForm,
    EnquiryForm,
    RatingForm,
    TranscriptForm,
    clean_prechat_fields,
    form_errors,
)
from widgets.selectors import LANGUAGES, widget_config_cached
from widgets.services import (
    WidgetChatRefused,
    conversation_end_by_visitor,
    conversation_rate,
    end_of_chat_offered_check,
    enquiry_create,
    transcript_request,
    visitor_council,
    widget_chat_start,
)
from widgets.throttle import Throttled, client_address, rate_for, throttle_check

EMBED_JS = Path(__file__).parent / "static" / "widgets" / "embed.js"


def with_cors(request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
    for name, value in cors_headers(request.site_ref, request.headers.get("Origin")).items():
        response[name] = value
    return response


def _requested(request: HttpRequest) -> tuple[str | None, str, str]:
    """(language, department slug, page URL) from the query string, loosely: bad values are
    ignored, since the config must always load."""
    language = request.GET.get("lang") or None
    department = request.GET.get("department", "")[:50]
    page_url = request.GET.get("page_url", "")[:2000]
    return (language if language in LANGUAGES else None), department, page_url


def config_body(request: HttpRequest) -> dict:
    language, department, page_url = _requested(request)
    return widget_config_cached(
        request.site_ref, language=language, department_slug=department, page_url=page_url
    )


@csrf_exempt
def widget_config(request: HttpRequest) -> HttpResponseBase:
    if request.method == "OPTIONS":
        return with_cors(request, HttpResponse(status=204))
    if request.method != "GET":
        return JsonResponse({"error": "method_not_allowed"}, status=405)
    response = JsonResponse(config_body(request))
    response["Cache-Control"] = "no-store"  # availability changes live
    return with_cors(request, response)


@csrf_exempt
def widget_availability(request: HttpRequest) -> HttpResponseBase:
    """GET /widget/availability: the config's `availability` alone, polled by the widget."""
    if request.method == "OPTIONS":
        return with_cors(request, HttpResponse(status=204))
    if request.method != "GET":
        return JsonResponse({"error": "method_not_allowed"}, status=405)
    body = config_body(request)
    councils = {c["slug"]: c["availability"] for c in body["councils"]}
    response = JsonResponse({"availability": body["availability"], "councils": councils})
    response["Cache-Control"] = "no-store"
    return with_cors(request, response)


@csrf_exempt
def conversation_create(request: HttpRequest) -> HttpResponseBase:
    """POST /widget/conversations: parse and validate, then `widget_chat_start`."""
    valid = _validated_form(request, ConversationStartForm, "chat", schemas.CHAT_START)
    if isinstance(valid, HttpResponseBase):
        return valid
    form, prechat = valid
    try:
        chat = widget_chat_start(site=request.site_ref, form=form, prechat=prechat)
    except WidgetChatRefused as refused:
        return with_cors(request, JsonResponse(refused.body, status=refused.status))
    scheme = "wss" if request.is_secure() else "ws"
    websocket = (
        f"{scheme}://{request.get_host()}/ws/visitor/{chat.conversation_id}/?token={chat.token}"
    )
    body = {
        "conversation": chat.conversation_id,
        "token": chat.token,
        "websocket": websocket,
        "council": chat.council.slug,
        "department": chat.department_slug,
        "status": chat.status,
        "last_seq": chat.last_seq,
        "routed_by": chat.routed_by,
    }
    if chat.offline is not None:  # asked the assistant for a person; nobody is there
        body["offline"] = chat.offline
    return with_cors(request, JsonResponse(body, status=201))


@csrf_exempt
def widget_not_found(request: HttpRequest) -> HttpResponseBase:
    response = JsonResponse(
        {"error": "not_found", "detail": "There is no such widget address."}, status=404
    )
    return with_cors(request, response)


def _site_key(site: Site) -> str:
    return f"c{site.council.id}" if site.council is not None else f"p{site.partnership.id}"


def _throttle(request: HttpRequest, action: str, *subjects: str) -> None:
    """Count this attempt against the visitor's address (and any further subjects)."""
    visitor = f"{_site_key(request.site_ref)}:{client_address(request)}"
    throttle_check(action=action, subject=visitor)
    for subject in subjects:
        throttle_check(action=f"{action}-each", subject=subject, rate=rate_for(f"{action}-each"))


def _too_many(request: HttpRequest, throttled: Throttled) -> HttpResponseBase:
    minutes = max(1, round(throttled.retry_after / 60))
    response = JsonResponse(
        {
            "error": "rate_limited",
            "detail": (
                f"Too many requests. Please wait {minutes} minute{'s' * (minutes != 1)} "
                "and try again."
            ),
            "retry_after": throttled.retry_after,
        },
        status=429,
    )
    response["Retry-After"] = str(throttled.retry_after)
    return with_cors(request, response)


def _bad_request(request: HttpRequest, errors: dict[str, list[str]]) -> HttpResponseBase:
    return with_cors(request, JsonResponse({"errors": errors}, status=400))


def _json_post(request: HttpRequest, schema: dict) -> tuple[dict | None, HttpResponseBase | None]:
    """The JSON object body of a widget POST from an allowed origin, or the answer to send.

    Bodies are parsed whatever their Content-Type: navigator.sendBeacon sends text/plain.
    Every body passes reliability.validation (depth, NUL, surrogates, number bounds) and its
    endpoint's schema (widgets/schemas.py) before anything reads it: a clear 400, never a 500.
    """
    if request.method == "OPTIONS":
        return None, with_cors(request, HttpResponse(status=204))
    if request.method != "POST":
        return None, JsonResponse({"error": "method_not_allowed"}, status=405)
    if not origin_allowed(request.site_ref, request.headers.get("Origin")):
        return None, JsonResponse(
            {"error": "origin_not_allowed", "detail": "This site may not embed this chat."},
            status=403,
        )
    try:
        data = parse_checked(request.body or b"null", schema)
    except InvalidInput as refused:
        return None, with_cors(request, JsonResponse(invalid_body(refused), status=400))
    return data, None


def _validated_form(
    request: HttpRequest, form_class, action: str, schema: dict
) -> tuple[dict, dict] | HttpResponseBase:
    """(cleaned form, pre-chat answers) of a chat or enquiry POST, or the answer to send.

    Only a valid request counts against the visitor's abuse limit.
    """
    data, answer = _json_post(request, schema)
    if answer is not None:
        return answer
    form = form_class(data={k: v for k, v in data.items() if k != "fields"})
    prechat, field_errors = clean_prechat_fields(data.get("fields"))
    errors = {} if form.is_valid() else form_errors(form)
    if field_errors:
        errors["fields"] = field_errors
    if errors:
        return _bad_request(request, errors)
    try:
        _throttle(request, action)
    except Throttled as throttled:
        return _too_many(request, throttled)
    return form.cleaned_data, prechat


def _visitor_token(request: HttpRequest, data: dict) -> str:
    auth = request.headers.get("Authorization", "")
    if auth.startswith("Bearer "):
        return auth.removeprefix("Bearer ").strip()
    token = data.get("token")
    return token if isinstance(token, str) else ""


def _visitor_post(request: HttpRequest, conversation: UUID, form_class, act, schema: dict):
    """Shared shape of the token-authorised POSTs about one chat."""
    data, answer = _json_post(request, schema)
    if answer is not None:
        return answer
    try:
        council = visitor_council(
            site=request.site_ref, token=_visitor_token(request, data), conversation_id=conversation
        )
    except WidgetChatRefused as refused:
        return with_cors(request, JsonResponse(refused.body, status=refused.status))
    cleaned = {}
    if form_class is not None:
        form = form_class(data={k: v for k, v in data.items() if k != "token"})
        if not form.is_valid():
            return _bad_request(request, form_errors(form))
        cleaned = form.cleaned_data
    try:
        act(council, cleaned, data)
    except Throttled as throttled:
        return _too_many(request, throttled)
    except WidgetChatRefused as refused:
        return with_cors(request, JsonResponse(refused.body, status=refused.status))
    return with_cors(request, HttpResponse(status=204))


@csrf_exempt
def conversation_rating(request: HttpRequest, conversation: UUID) -> HttpResponseBase:
    """POST /widget/conversations/<uuid>/rating {"rating": 1..5, "comment"}."""
    return _visitor_post(
        request,
        conversation,
        RatingForm,
        lambda council, form, _data: conversation_rate(
            council=council,
            conversation_id=conversation,
            rating=form["rating"],
            comment=form["comment"],
        ),
        schemas.RATING,
    )


@csrf_exempt
def conversation_transcript(request: HttpRequest, conversation: UUID) -> HttpResponseBase:
    """POST /widget/conversations/<uuid>/transcript {"email"}: emailed by a Celery task.

    GET (the visitor's token in the Authorization header): {"status"}, whether it has been
    sent yet, so the widget can say "has been emailed" once it has (issue 12)."""
    if request.method == "GET":
        return _transcript_status(request, conversation)

    def send(council: CouncilRef, form: dict, _data: dict) -> None:
        # Refused before it counts against the limits when the council sends no transcripts.
        end_of_chat_offered_check(council=council, what="transcript")
        # Per address, and per chat: one chat must not become a way to mail a stranger.
        _throttle(request, "transcript", f"{council.id}:{conversation}")
        transcript_request(council=council, conversation_id=conversation, email=form["email"])

    return _visitor_post(request, conversation, TranscriptForm, send, schemas.TRANSCRIPT)


def _transcript_status(request: HttpRequest, conversation: UUID) -> HttpResponseBase:
    try:
        council = visitor_council(
            site=request.site_ref, token=_visitor_token(request, {}), conversation_id=conversation
        )
    except WidgetChatRefused as refused:
        return with_cors(request, JsonResponse(refused.body, status=refused.status))
    with council_schema(council.schema_name):
        status = transcript_status(conversation)
    response = JsonResponse({"status": status})
    response["Cache-Control"] = "no-store"
    return with_cors(request, response)


@csrf_exempt
def conversation_end_view(request: HttpRequest, conversation: UUID) -> HttpResponseBase:
    """POST /widget/conversations/<uuid>/end {"quick_exit": bool}: the quick exit's beacon."""
    return _visitor_post(
        request,
        conversation,
        None,
        lambda council, _form, data: conversation_end_by_visitor(
            council=council,
            conversation_id=conversation,
            quick_exit=data.get("quick_exit") is True,
        ),
        schemas.END,
    )


@csrf_exempt
def enquiry_create_view(request: HttpRequest) -> HttpResponseBase:
    """POST /widget/enquiries: contact details left while chat is unavailable."""
    valid = _validated_form(request, EnquiryForm, "enquiry", schemas.ENQUIRY)
    if isinstance(valid, HttpResponseBase):
        return valid
    form, prechat = valid
    try:
        enquiry = enquiry_create(site=request.site_ref, form=form, prechat=prechat)
    except WidgetChatRefused as refused:
        return with_cors(request, JsonResponse(refused.body, status=refused.status))
    return with_cors(request, JsonResponse({"enquiry": str(enquiry.id)}, status=201))


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
