"""Answers for failures: ours (a 500, the database away) and the client's (a 400, a 404),
in JSON wherever a client program reads the answer."""

from __future__ import annotations

import logging
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.defaults import bad_request as django_bad_request
from django.views.defaults import page_not_found as django_page_not_found
from django.views.defaults import server_error as django_server_error

logger = logging.getLogger(__name__)

RETRY_AFTER_S = 5
# Paths whose clients are programs reading JSON (the widget's script): every answer there
# is JSON, refusals from Django's own request parsing included. (Meta's webhook reads only
# the status: its refusals stay short plain text.)
API_PREFIXES = ("/widget/",)


def wants_json(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIXES)


def refusal(
    request: HttpRequest, status: int, code: str, detail: str, field: str | None = None
) -> HttpResponse:
    """A client's error: `{"error", "detail"}` (plus `errors` by field for invalid input,
    the widget's 400 shape) on API paths, a short plain-text page elsewhere."""
    if not wants_json(request):
        return HttpResponse(detail, status=status, content_type="text/plain; charset=utf-8")
    body: dict = {"error": code, "detail": detail}
    if code == "invalid_input":
        body["errors"] = {field or "__all__": [detail]}
    return JsonResponse(body, status=status)


def database_unavailable() -> bool:
    """Is the exception being handled PostgreSQL away, restarting or out of connections?"""
    exc = sys.exc_info()[1]
    return isinstance(exc, OperationalError | InterfaceError)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500 of every urlconf: the database being away (a restart, a full connection
    pool) is a 503 with Retry-After that clients retry, not a 500 that reads as a bug."""
    if database_unavailable():
        logger.warning("database unavailable: answered 503 (%s)", type(sys.exc_info()[1]))
        response = JsonResponse(
            {
                "error": "unavailable",
                "detail": "The service is busy or restarting. Please try again in a moment.",
                "retry": True,
            },
            status=503,
        )
        response["Retry-After"] = str(RETRY_AFTER_S)
        return response
    return django_server_error(request)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler400 of every urlconf: what Django itself refuses before a view runs (a Host
    not allowed, more than DATA_UPLOAD_MAX_NUMBER_FIELDS query fields, a broken multipart
    body) answers the widget in JSON, not with an HTML page its script cannot read."""
    if wants_json(request):
        return refusal(request, 400, "bad_request", "The request could not be read.")
    return django_bad_request(request, exception)


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler404 of every urlconf: JSON on API paths (e.g. /widget/ on the public host)."""
    if wants_json(request):
        return refusal(request, 404, "not_found", "There is no such address.")
    return django_page_not_found(request, exception)
