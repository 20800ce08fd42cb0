"""Browsers ask every host for /favicon.ico; answer quietly instead of logging a 404."""

from django.http import HttpRequest, HttpResponse


def favicon(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(status=204)
    response["Cache-Control"] = "public, max-age=86400"
    return response
