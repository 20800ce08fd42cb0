"""Answers for failures that are ours, not the client's."""

from __future__ import annotations

import logging
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.defaults import server_error as django_server_error

logger = logging.getLogger(__name__)

RETRY_AFTER_S = 5


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
