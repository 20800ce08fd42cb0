"""Attachments over HTTP: uploads from the widget and the console, and the two ways a file
is fetched (docs/attachments.md). Each view parses, authorises, enters the council's
schema and calls one action or read."""

from __future__ import annotations

from uuid import UUID

from django.core.exceptions import RequestDataTooBig, TooManyFilesSent
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from attachments import links
from attachments.inspect import EXTENSIONS, Refused, inspect, too_big
from attachments.models import Attachment, AttachmentSettings
from attachments.names import safe_name
from attachments.selectors import limits_current
from chat.actions.attachments import attachment_send
from chat.errors import ChatError
from chat.operators import OperatorRef, operator_ref
from councils.sites import CouncilRef
from councils.tenancy import council_schema
from privacy import audit
from widgets.cors import origin_allowed
from widgets.services import WidgetChatRefused, visitor_council
from widgets.throttle import Throttled, client_address, throttle_check
from widgets.views import with_cors

# Multipart framing around the file: a request this much larger than the council's limit
# is refused from its Content-Length, before any of it is read.
MULTIPART_OVERHEAD = 64 * 1024
CHAT_ERROR_STATUS = {"not_found": 404, "not_assigned": 403}


def _error(status: int, code: str, detail: str) -> JsonResponse:
    return JsonResponse({"error": code, "detail": detail}, status=status)


def _refusal(refused: Refused) -> JsonResponse:
    return _error(refused.status, refused.code, refused.detail)


def _receive(
    request: HttpRequest, council: CouncilRef, conversation: UUID, operator: OperatorRef | None
) -> dict:
    """Check the upload against the council's limits and store it: the wire object, or
    Refused saying why (nothing stored). Precondition: in the council's schema."""
    if operator is None and not AttachmentSettings.current().enabled:
        raise Refused(403, "attachments_disabled", "This council does not accept files in chat.")
    limits = limits_current()
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > limits.max_bytes + MULTIPART_OVERHEAD:
        raise too_big(limits.max_bytes)
    try:
        upload = request.FILES.get("file")
    except (MultiPartParserError, RequestDataTooBig, TooManyFilesSent):
        upload = None
    if upload is None:
        raise Refused(
            400, "file_missing", "Send the file as multipart/form-data in the field 'file'."
        )
    try:
        if upload.size > limits.max_bytes:
            raise too_big(limits.max_bytes)
        cleaned = inspect(upload.read(), limits)
    finally:
        upload.close()
    fallback = "document" if cleaned.content_type == "application/pdf" else "photo"
    name = safe_name(upload.name, EXTENSIONS[cleaned.content_type], fallback=fallback)
    try:
        sent = attachment_send(
            council=council,
            conversation_id=conversation,
            cleaned=cleaned,
            name=name,
            operator=operator,
        )
    except ChatError as err:
        raise Refused(CHAT_ERROR_STATUS.get(err.code, 409), err.code, err.detail) from None
    return sent.attachment


def _widget_base(request: HttpRequest) -> str:
    return f"{request.scheme}://{request.get_host()}"


@csrf_exempt
def widget_upload(request: HttpRequest, conversation: UUID) -> HttpResponseBase:
    """POST /widget/conversations/<uuid>/attachments, `Authorization: Bearer <token>`,
    multipart field `file` → 201 {"attachment": {id, name, size, content_type, url}}."""
    if request.method == "OPTIONS":
        return with_cors(request, HttpResponse(status=204))
    if request.method != "POST":
        return JsonResponse({"error": "method_not_allowed"}, status=405)
    if not origin_allowed(request.site_ref, request.headers.get("Origin")):
        return _error(403, "origin_not_allowed", "This site may not embed this chat.")
    auth = request.headers.get("Authorization", "")
    token = auth.removeprefix("Bearer ").strip() if auth.startswith("Bearer ") else ""
    try:
        council = visitor_council(site=request.site_ref, token=token, conversation_id=conversation)
        throttle_check(action="attachment", subject=f"c{council.id}:{client_address(request)}")
    except WidgetChatRefused as refused:
        return with_cors(request, JsonResponse(refused.body, status=refused.status))
    except Throttled as throttled:
        minutes = max(1, round(throttled.retry_after / 60))
        response = _error(
            429,
            "rate_limited",
            f"Too many files. Please wait {minutes} minute{'s' * (minutes != 1)} and try again.",
        )
        response["Retry-After"] = str(throttled.retry_after)
        return with_cors(request, response)
    try:
        with council_schema(council.schema_name):
            item = _receive(request, council, conversation, operator=None)
    except Refused as refused:
        return with_cors(request, _refusal(refused))
    # The resident's own link, as their socket sends it.
    item = links.for_visitor(item, council_id=council.id, base=_widget_base(request))
    return with_cors(request, JsonResponse({"attachment": item}, status=201))


def _staff(request: HttpRequest) -> bool:
    """A signed-in operator or admin of this council (the session is this schema's)."""
    user = request.user
    return bool(user.is_authenticated and user.is_active and user.is_staff)


@require_POST
def console_upload(request: HttpRequest, conversation: UUID) -> HttpResponseBase:
    """POST /console/conversations/<uuid>/attachments (session and CSRF token), field `file`."""
    if not _staff(request):
        return _error(403, "not_signed_in", "Sign in to the console again.")
    try:
        item = _receive(request, request.site_ref.council, conversation, operator_ref(request.user))
    except Refused as refused:
        return _refusal(refused)
    return JsonResponse({"attachment": item}, status=201)


def _serve(attachment: Attachment) -> HttpResponseBase:
    """The file with its checked type, never sniffed, never run: a photo inline, a PDF as a
    download, both inside a sandbox with nothing allowed."""
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, ValueError):
        return _error(404, "not_found", "There is no such attachment.")
    response = FileResponse(
        handle,
        content_type=attachment.content_type,
        as_attachment=not attachment.content_type.startswith("image/"),
        filename=attachment.name,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


def _stored(attachment_id: UUID) -> Attachment | None:
    attachment = Attachment.objects.filter(pk=attachment_id).first()
    return attachment if attachment is not None and attachment.file else None


@require_GET
def console_download(request: HttpRequest, attachment_id: UUID) -> HttpResponseBase:
    """GET /console/attachments/<uuid>: this council's staff only (audited); anyone else,
    another council's operators included, gets 404."""
    attachment = _stored(attachment_id) if _staff(request) else None
    if attachment is None:
        return _error(404, "not_found", "There is no such attachment.")
    audit.record(
        actor=audit.Actor.of_user(request.user, source="console"),
        action=audit.Action.ATTACHMENT_VIEWED,
        object_type="attachment",
        object_id=attachment.pk,
    )
    return _serve(attachment)


@require_GET
def widget_download(request: HttpRequest, attachment_id: UUID) -> HttpResponseBase:
    """GET /widget/attachments/<uuid>?sig=…: the resident's own chat, by its signed link (on
    the council's host or its partnership's)."""
    try:
        council_id = links.visitor_link_read(request.GET.get("sig", ""), attachment_id)
    except links.LinkInvalid:
        council_id = None
    council = None if council_id is None else request.site_ref.council_for_token(council_id)
    if council is None:
        return with_cors(request, _error(404, "not_found", "There is no such attachment."))
    with council_schema(council.schema_name):
        attachment = _stored(attachment_id)
        response = (
            _error(404, "not_found", "There is no such attachment.")
            if attachment is None
            else _serve(attachment)
        )
    return with_cors(request, response)
