"""Staff sign-in pages on council hosts and the public host: password (with lockout and
two-factor), single sign-on, and sign-out everywhere. They only parse, authorise, call the
services in this app and render; the rules are in policy.py, lockout.py, sessions.py."""

from __future__ import annotations

import logging
import time

from django.contrib import auth
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from config.admin_sites import council_admin_site, public_admin_site
from councils.admin import SetPasswordConfirmView
from staffauth import lockout, oidc, policy, twofactor
from staffauth.branding import council_brand
from staffauth.forms import CodeForm, PasswordSignInForm
from staffauth.models import SignInSettings, StaffSession
from staffauth.sessions import sign_out_everywhere

logger = logging.getLogger(__name__)

PENDING = "staffauth_pending"  # a password checked, the second factor not yet
PENDING_SECONDS = 300
ENDED = "staffauth_ended"  # why the last session ended, for the login page
SSO_NEXT = "staffauth_sso_next"
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
BAD_CREDENTIALS = (
    "Please enter the correct username and password for a staff account. "
    "Note that both fields may be case-sensitive."
)
WAIT_AFTER_WRONG_CODES = "After a wrong code, wait a few seconds, then enter the app's new code."
ENDED_MESSAGES = {
    "idle": "You were signed out after a period without activity. Sign in again.",
    "expired": "Your session reached its time limit. Sign in again.",
    "signed_out": "You have been signed out.",
    "signed_out_everywhere": "You have been signed out on every device.",
    "account_disabled": "Your account has been disabled.",
}


def _admin_site(request: HttpRequest):
    return council_admin_site if request.site_ref.council is not None else public_admin_site


def _next_url(request: HttpRequest, value: str | None) -> str:
    if value and url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return value
    return reverse("admin:index")


def _page(request, template: str, context: dict, status: int = 200) -> HttpResponse:
    council = request.site_ref.council
    full = {
        **_admin_site(request).each_context(request),
        "council": council,
        "brand": council_brand(request),
        **context,
    }
    return render(request, template, full, status=status)


def _refusal_message(refusal: lockout.Refusal) -> str:
    if refusal.reason == "account_locked":
        until = timezone.localtime(refusal.until).strftime("%H:%M") if refusal.until else ""
        return (
            "This account is locked after too many failed sign-ins. "
            f"Try again after {until}, or ask a council admin to unlock it."
        )
    return (
        "Too many failed sign-ins from your network. Wait a few minutes and try again; "
        "your colleagues' own sign-ins are not affected unless this continues."
    )


def _login_context(request, rules: SignInSettings, form, **extra) -> dict:
    sso = request.site_ref.council is not None and rules.sso_ready
    return {
        "title": "Sign in",
        "form": form,
        "next": request.POST.get("next") or request.GET.get("next", ""),
        "sso": sso,
        "sso_required": sso and rules.mode == SignInSettings.Mode.SSO_REQUIRED,
        "provider_name": rules.provider_name,
        **extra,
    }


def _complete_sign_in(request, user, via: str, next_url: str, device=None) -> HttpResponse:
    request._staffauth_via = via  # read by the user_logged_in receiver (staffauth.signals)
    auth.login(request, user, backend=MODEL_BACKEND)
    if device is not None:
        otp_login(request, device)
    request.session.set_expiry(policy.session_limits().absolute_seconds)
    return HttpResponseRedirect(_next_url(request, next_url))


@sensitive_post_parameters()
@csrf_protect
@never_cache
def login(request: HttpRequest) -> HttpResponse:
    """The login page of the console and the admin (council hosts) and the managers' admin."""
    rules = policy.sign_in_settings()
    next_url = request.POST.get("next") or request.GET.get("next", "")
    if request.method == "GET" and request.user.is_authenticated and request.user.is_staff:
        return HttpResponseRedirect(_next_url(request, next_url))
    ended = request.session.pop(ENDED, None)
    notice = ENDED_MESSAGES.get(ended) if ended else None
    if request.method != "POST":
        form = PasswordSignInForm()
        return _page(
            request, "staffauth/login.html", _login_context(request, rules, form, notice=notice)
        )

    form = PasswordSignInForm(request.POST)
    if not form.is_valid():
        return _page(request, "staffauth/login.html", _login_context(request, rules, form))
    username = form.cleaned_data["username"]
    address = request.META.get("REMOTE_ADDR")

    def refuse(message: str, status: int = 200, locked: bool = False) -> HttpResponse:
        context = _login_context(request, rules, form, error=message, locked=locked)
        return _page(request, "staffauth/login.html", context, status=status)

    refusal = lockout.sign_in_refusal(username, address)
    if refusal is not None:
        return refuse(_refusal_message(refusal), status=429, locked=True)
    sso_required = rules.mode == SignInSettings.Mode.SSO_REQUIRED and rules.sso_ready
    sso_only = (
        f"{request.site_ref.council.name} signs in with {rules.provider_name}: passwords "
        f'are turned off. Use "Sign in with {rules.provider_name}" above.'
        if sso_required
        else ""
    )
    user = auth.authenticate(request, username=username, password=form.cleaned_data["password"])
    if user is None or not user.is_staff:
        lock = lockout.record_failure(username, address)
        if lock is not None:
            return refuse(_refusal_message(lock), status=429, locked=True)
        return refuse(sso_only, status=403) if sso_required else refuse(BAD_CREDENTIALS)
    if sso_required and not policy.is_break_glass(user):
        return refuse(sso_only, status=403)
    lockout.record_success(username)
    if policy.two_factor_required(user, rules) or twofactor.has_two_factor(user):
        request.session.cycle_key()
        request.session[PENDING] = {"uid": user.pk, "at": time.time(), "next": next_url}
        step = "two_factor" if twofactor.has_two_factor(user) else "two_factor_setup"
        return HttpResponseRedirect(reverse(f"staffauth:{step}"))
    return _complete_sign_in(request, user, StaffSession.Via.PASSWORD, next_url)


def _pending_user(request):
    pending = request.session.get(PENDING)
    if not isinstance(pending, dict) or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        request.session.pop(PENDING, None)
        return None, ""
    user = get_user_model().objects.filter(pk=pending.get("uid"), is_active=True).first()
    return user, pending.get("next", "")


def _code_failed(request, user) -> lockout.Refusal | None:
    lock = lockout.record_failure(user.get_username(), request.META.get("REMOTE_ADDR"))
    if lock is not None:
        request.session.pop(PENDING, None)
    return lock


@csrf_protect
@never_cache
def two_factor(request: HttpRequest) -> HttpResponse:
    """The second step: a code from the authenticator app, or a recovery code."""
    user, next_url = _pending_user(request)
    if user is None:
        return HttpResponseRedirect(reverse("admin:login"))
    form = CodeForm(request.POST or None)
    context = {"title": "Two-factor authentication", "form": form, "username": user.username}
    if request.method == "POST" and form.is_valid():
        refusal = lockout.sign_in_refusal(user.get_username(), request.META.get("REMOTE_ADDR"))
        if refusal is not None:
            request.session.pop(PENDING, None)
            context.update(error=_refusal_message(refusal), locked=True)
            return _page(request, "staffauth/two_factor.html", context, status=429)
        verification = twofactor.verify_second_factor(user, form.cleaned_data["code"])
        device = verification.device
        if device is None and verification.throttled:  # not checked: not a failure
            context["error"] = WAIT_AFTER_WRONG_CODES
            return _page(request, "staffauth/two_factor.html", context)
        if device is not None:
            request.session.pop(PENDING, None)
            lockout.record_success(user.get_username())
            return _complete_sign_in(
                request, user, StaffSession.Via.TWO_FACTOR, next_url, device=device
            )
        lock = _code_failed(request, user)
        context["error"] = _refusal_message(lock) if lock else "That code is not right."
        context["locked"] = lock is not None
        return _page(request, "staffauth/two_factor.html", context, status=429 if lock else 200)
    return _page(request, "staffauth/two_factor.html", context)


@csrf_protect
@never_cache
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    """First sign-in where two-factor is required: add the authenticator app, confirm a code,
    then see the recovery codes once."""
    user, next_url = _pending_user(request)
    if user is None:
        return HttpResponseRedirect(reverse("admin:login"))
    if twofactor.has_two_factor(user):
        return HttpResponseRedirect(reverse("staffauth:two_factor"))
    device = twofactor.pending_app_device(user)
    form = CodeForm(request.POST or None)
    context = {
        "title": "Set up two-factor authentication",
        "form": form,
        "qr_svg": twofactor.qr_svg(device),
        "secret": twofactor.secret_base32(device),
    }
    if request.method == "POST" and form.is_valid():
        if twofactor.setup_waiting_after_wrong_code(user):
            context["error"] = WAIT_AFTER_WRONG_CODES
            return _page(request, "staffauth/two_factor_setup.html", context)
        codes = twofactor.confirm_app_device(user, form.cleaned_data["code"])
        if codes is not None:
            request.session.pop(PENDING, None)
            lockout.record_success(user.get_username())
            _complete_sign_in(request, user, StaffSession.Via.TWO_FACTOR, next_url)
            return _page(
                request,
                "staffauth/recovery_codes.html",
                {
                    "title": "Your recovery codes",
                    "codes": codes,
                    "continue_url": _next_url(request, next_url),
                },
            )
        lock = _code_failed(request, user)
        if lock is not None:
            context.update(error=_refusal_message(lock), locked=True)
            return _page(request, "staffauth/two_factor_setup.html", context, status=429)
        context["error"] = "That code is not right: check the app and try the new code."
    return _page(request, "staffauth/two_factor_setup.html", context)


def _sso_rules(request) -> SignInSettings:
    rules = policy.sign_in_settings()
    if request.site_ref.council is None or not rules.sso_ready:
        raise Http404("Single sign-on is not set up here.")
    return rules


@never_cache
def sso_start(request: HttpRequest) -> HttpResponse:
    rules = _sso_rules(request)
    request.session[SSO_NEXT] = request.GET.get("next", "")
    redirect_uri = request.build_absolute_uri(reverse("staffauth:sso_callback"))
    try:
        return oidc.authorization_redirect(request, rules, redirect_uri)
    except oidc.SignInErrors as exc:
        logger.warning("SSO start failed at %s: %s", request.site_ref.council.slug, type(exc))
        return _sso_failed(request, rules, "We could not reach your sign-in provider.")


def _sso_failed(request, rules, message: str, status: int = 400) -> HttpResponse:
    context = _login_context(request, rules, PasswordSignInForm(), error=message)
    return _page(request, "staffauth/login.html", context, status=status)


@never_cache
def sso_callback(request: HttpRequest) -> HttpResponse:
    """The provider sends the browser back here with a code (and our state)."""
    rules = _sso_rules(request)
    try:
        claims = oidc.claims_from_callback(request, rules)
        signed_in = oidc.user_for_claims(rules, claims)
    except oidc.SsoRefused as exc:
        return _sso_failed(request, rules, str(exc), status=403)
    except oidc.SignInErrors as exc:
        # The exception's class only: its text may carry claims (personal data).
        logger.warning("SSO sign-in refused at %s: %s", request.site_ref.council.slug, type(exc))
        return _sso_failed(
            request, rules, f"Sign-in with {rules.provider_name} did not work. Try again."
        )
    next_url = request.session.pop(SSO_NEXT, "")
    return _complete_sign_in(request, signed_in.user, StaffSession.Via.SSO, next_url)


@require_POST
@csrf_protect
@login_required(login_url="admin:login")
def sign_out_everywhere_view(request: HttpRequest) -> HttpResponse:
    """The user's own "sign out everywhere" (e.g. a forgotten session on a shared PC)."""
    sign_out_everywhere(user_id=request.user.pk)
    auth.logout(request)
    request.session[ENDED] = "signed_out_everywhere"
    return HttpResponseRedirect(reverse("admin:login"))


@never_cache
def set_password_throttled(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    """The council admin's set-password (reset) link, throttled per address: a wrong or
    used link counts as a failed attempt, and an address over the limit is refused."""
    address = request.META.get("REMOTE_ADDR")
    refusal = lockout.address_refusal(address)
    if refusal is not None:
        context = {"title": "Choose your password", "error": _refusal_message(refusal)}
        return _page(request, "staffauth/base.html", context, status=429)
    view = SetPasswordConfirmView.as_view(admin_site=council_admin_site)
    response = view(request, uidb64=uidb64, token=token)
    if getattr(response, "context_data", {}).get("validlink") is False:
        lockout.record_address_failure(address)
    return response
