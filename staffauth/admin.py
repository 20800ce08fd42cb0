"""Staff sign-in in both admin sites: a council's sign-in settings and identity provider,
locked accounts (unlock), and per-user actions (sign out everywhere, unlock, reset
two-factor). The user admins are the ones in config/admin_sites.py, extended here."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django_tenants.utils import schema_context

from config.admin_sites import council_admin_site, public_admin_site
from routing.admin import CouncilUserAdmin, SingletonAdmin
from staffauth import lockout, twofactor
from staffauth.models import AccountLock, CouncilSignIn, SignInSettings, StaffSession
from staffauth.secrets import encrypt_secret
from staffauth.services import break_glass_account_reset
from staffauth.sessions import sign_out_everywhere


class SignInSettingsForm(forms.ModelForm):
    client_secret = forms.CharField(
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="Stored encrypted. Leave empty to keep the secret already saved.",
    )

    issuer = forms.URLField(
        required=False,
        assume_scheme="https",
        label="Issuer URL",
        help_text=SignInSettings._meta.get_field("issuer").help_text,
    )

    class Meta:
        model = SignInSettings
        fields = [
            "mode",
            "two_factor_for_admins",
            "two_factor_for_operators",
            "idle_minutes",
            "absolute_hours",
            "sso_enabled",
            "provider_name",
            "issuer",
            "client_id",
            "create_users",
            "roles_claim",
            "role_mapping",
        ]

    def clean(self):
        cleaned = super().clean()
        if (
            cleaned.get("sso_enabled")
            and not cleaned.get("client_secret")
            and not self.instance.client_secret_encrypted
        ):
            self.add_error("client_secret", "Enter the client secret from your provider.")
        return cleaned

    def save(self, commit=True):
        if self.cleaned_data.get("client_secret"):
            self.instance.client_secret_encrypted = encrypt_secret(
                self.cleaned_data["client_secret"]
            )
        return super().save(commit)


@admin.register(SignInSettings, site=council_admin_site)
class SignInSettingsAdmin(SingletonAdmin):
    form = SignInSettingsForm
    readonly_fields = ["redirect_uri", "secret_saved"]
    fieldsets = [
        (
            "Who signs in how",
            {
                "fields": [
                    "mode",
                    "two_factor_for_admins",
                    "two_factor_for_operators",
                    "idle_minutes",
                    "absolute_hours",
                ]
            },
        ),
        (
            "Single sign-on (OpenID Connect)",
            {
                "description": "See docs/security.md for registering the app in Entra ID, "
                "Google Workspace or ADFS.",
                "fields": [
                    "redirect_uri",
                    "sso_enabled",
                    "provider_name",
                    "issuer",
                    "client_id",
                    "client_secret",
                    "secret_saved",
                    "create_users",
                    "roles_claim",
                    "role_mapping",
                ],
            },
        ),
    ]

    @admin.display(description="redirect URI to register with your provider")
    def redirect_uri(self, obj) -> str:
        request = getattr(self, "_request", None)
        if request is None:
            return "/auth/sso/callback/"
        return request.build_absolute_uri("/auth/sso/callback/")

    @admin.display(description="client secret saved", boolean=True)
    def secret_saved(self, obj) -> bool:
        return bool(obj and obj.client_secret_encrypted)

    def get_form(self, request, obj=None, change=False, **kwargs):
        self._request = request
        return super().get_form(request, obj, change, **kwargs)

    def render_change_form(self, request, context, *args, **kwargs):
        self._request = request
        return super().render_change_form(request, context, *args, **kwargs)


class AccountLockAdmin(admin.ModelAdmin):
    list_display = ["username", "locked_at", "locked_until"]
    actions = ["unlock_selected"]
    search_fields = ["username"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description="Unlock the selected accounts", permissions=["delete"])
    def unlock_selected(self, request, queryset):
        names = list(queryset.values_list("username", flat=True))
        for name in names:
            lockout.unlock(name)
        self.message_user(request, f"Unlocked {len(names)} account(s).", messages.SUCCESS)


class StaffSessionAdmin(admin.ModelAdmin):
    list_display = ["user", "via", "created_at", "last_seen_at"]
    list_filter = ["via"]
    actions = ["end_selected"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description="Sign these people out everywhere", permissions=["delete"])
    def end_selected(self, request, queryset):
        user_ids = set(queryset.values_list("user_id", flat=True))
        for user_id in user_ids:
            sign_out_everywhere(user_id=user_id)
        self.message_user(request, f"Signed out {len(user_ids)} people everywhere.")


@admin.action(description="Sign out everywhere (ends every session, closes consoles)")
def sign_out_selected_everywhere(modeladmin, request, queryset):
    for user in queryset:
        sign_out_everywhere(user_id=user.pk)
    modeladmin.message_user(request, f"Signed out {queryset.count()} people everywhere.")


@admin.action(description="Unlock after failed sign-ins")
def unlock_selected_users(modeladmin, request, queryset):
    done = sum(lockout.unlock(user.get_username()) for user in queryset)
    modeladmin.message_user(request, f"Unlocked {done} account(s).")


@admin.action(description="Reset two-factor (they set up their app again at next sign-in)")
def reset_two_factor(modeladmin, request, queryset):
    for user in queryset:
        twofactor.remove_two_factor(user)
    modeladmin.message_user(request, f"Reset two-factor for {queryset.count()} people.")


STAFF_ACTIONS = [sign_out_selected_everywhere, unlock_selected_users, reset_two_factor]


class StaffUserAdmin(CouncilUserAdmin):
    actions = STAFF_ACTIONS

    def get_list_display(self, request):
        return [*super().get_list_display(request), "locked"]

    @admin.display(description="locked", boolean=True)
    def locked(self, obj) -> bool:
        return obj.get_username().lower() in self._locked

    def changelist_view(self, request, extra_context=None):
        self._locked = set(lockout.locked_usernames())
        return super().changelist_view(request, extra_context)


class ManagerUserAdmin(UserAdmin):
    actions = STAFF_ACTIONS


User = get_user_model()
council_admin_site.unregister(User)
council_admin_site.register(User, StaffUserAdmin)
public_admin_site.unregister(User)
public_admin_site.register(User, ManagerUserAdmin)
for site in (council_admin_site, public_admin_site):
    site.register(AccountLock, AccountLockAdmin)
    site.register(StaffSession, StaffSessionAdmin)


@admin.register(CouncilSignIn, site=public_admin_site)
class CouncilSignInAdmin(admin.ModelAdmin):
    """Partnership managers set up a council's sign-in for it (the same settings as the
    council admin's own page, saved in the council's schema) and hold its break-glass
    account."""

    list_display = ["name", "slug", "sign_in"]
    actions = ["create_break_glass"]
    search_fields = ["name", "slug"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="staff sign-in")
    def sign_in(self, obj) -> str:
        with schema_context(obj.schema_name):
            rules = SignInSettings.objects.filter(pk=1).first()
        if rules is None:
            return "defaults (passwords, two-factor for admins)"
        sso = f"single sign-on with {rules.provider_name}" if rules.sso_ready else "passwords"
        return f"{rules.get_mode_display()}: {sso}"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        council = get_object_or_404(CouncilSignIn, pk=object_id)
        if not self.has_change_permission(request, council):
            raise PermissionDenied
        with schema_context(council.schema_name):
            rules = SignInSettings.current()
            form = SignInSettingsForm(request.POST or None, instance=rules)
            if request.method == "POST" and form.is_valid():
                form.save()
                self.message_user(request, f"Saved {council.name}'s staff sign-in.")
                return HttpResponseRedirect(
                    reverse(f"{self.admin_site.name}:staffauth_councilsignin_changelist")
                )
            context = {
                **self.admin_site.each_context(request),
                "title": f"Staff sign-in of {council.name}",
                "form": form,
                "council": council,
                "redirect_uri": f"https://{council.domains.order_by('-is_primary').first()}"
                "/auth/sso/callback/",
                "secret_saved": bool(rules.client_secret_encrypted),
                "opts": self.model._meta,
            }
            return TemplateResponse(request, "staffauth/manager_sign_in.html", context)

    @admin.action(description="Create a break-glass account (shows its password once)")
    def create_break_glass(self, request, queryset):
        made = [
            (council.name, break_glass_account_reset(schema_name=council.schema_name))
            for council in queryset
        ]
        context = {
            **self.admin_site.each_context(request),
            "title": "Break-glass accounts",
            "made": made,
            "opts": self.model._meta,
        }
        # Rendered straight away: the password is never stored in a message or the session.
        return TemplateResponse(request, "staffauth/break_glass_made.html", context)
