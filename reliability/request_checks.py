"""The first check of every HTTP request: no NUL character in its query string or its
url-encoded form fields.

PostgreSQL text cannot hold NUL, so a NUL that reaches a query or a row raises `DataError`
(a 500). The hostile-input crawl (tests/reliability/test_hostile_http.py) found three:
`GET /widget/config?department=%00`, `GET /widget/availability?department=%00` (anonymous,
on every council's host) and the console profile's `display_name`. Checking here, before
any view, covers every URL at once, as reliability/validation.py does for JSON bodies.

A lone surrogate cannot arrive this way (Django decodes percent-escapes that are not UTF-8
to U+FFFD). Multipart bodies are not read here: attachment uploads refuse an oversize body
from its Content-Length before reading it, and Django's form fields refuse NUL themselves.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from reliability.views import refusal

FORM_TYPE = "application/x-www-form-urlencoded"


def nul_field(request: HttpRequest) -> str | None:
    """The name of the first query or form field whose name or value holds a NUL."""
    params = [request.GET]
    if request.method == "POST" and request.content_type == FORM_TYPE:
        params.append(request.POST)
    for query in params:
        for key, values in query.lists():
            if "\x00" in key:
                return "a field name"
            if any("\x00" in value for value in values):
                return key
    return None


class RefuseNulMiddleware:
    """400 with a sentence (JSON on the widget's paths), nothing stored."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        field = nul_field(request)
        if field is not None:
            return refusal(
                request,
                400,
                "invalid_input",
                f"{field} contains a NUL character.",
                field=field,
            )
        return self.get_response(request)
