"""Ends staff sessions past the council's idle or absolute limit, or ended elsewhere."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import auth
from django.http import HttpRequest, HttpResponse

from staffauth.sessions import session_check


class StaffSessionMiddleware:
    """After AuthenticationMiddleware: a signed-in request first passes `session_check`."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        session = getattr(request, "session", None)
        if (
            user is not None
            and session is not None
            and session.session_key
            and user.is_authenticated
        ):
            reason = session_check(session_key=session.session_key, user_id=user.pk, active=True)
            if reason is not None:
                auth.logout(request)
                request.session["staffauth_ended"] = reason
        return self.get_response(request)
