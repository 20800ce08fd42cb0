"""Council admin: Messenger and WhatsApp connections (add, test, disable) and the approved
WhatsApp templates. Tokens are write-only: never shown, listed or exported."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError

from config.admin_sites import council_admin_site
from social.connections import (
    connection_delete,
    connection_save,
    connection_test,
    id_taken_elsewhere,
)
from social.models import SocialConnection, WhatsAppTemplate


class SocialConnectionForm(forms.ModelForm):
    token = forms.CharField(
        label="Access token",
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=(
            "Messenger: the Page access token. WhatsApp: a system user's permanent token. "
            "Stored encrypted; leave empty to keep the current one."
        ),
    )

    class Meta:
        model = SocialConnection
        fields = [
            "kind",
            "external_id",
            "name",
            "waba_id",
            "display_number",
            "department",
            "enabled",
        ]

    def __init__(self, *args, council_id: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.council_id = council_id

    def clean_external_id(self) -> str:
        value = self.cleaned_data["external_id"].strip()
        if not value.isdigit():
            raise ValidationError("Meta's ids are digits only.")
        return value

    def clean(self):
        data = super().clean()
        kind, external_id = data.get("kind"), data.get("external_id")
        if (
            kind
            and external_id
            and self.council_id is not None
            and id_taken_elsewhere(kind=kind, external_id=external_id, council_id=self.council_id)
        ):
            label = "Page id" if kind == "messenger" else "phone number id"
            self.add_error("external_id", f"This {label} is already connected to another council.")
        if not self.instance.has_token and not data.get("token"):
            self.add_error("token", "Paste the access token.")
        if kind == "whatsapp" and not data.get("waba_id"):
            self.add_error("waba_id", "WhatsApp connections need the WhatsApp Business Account id.")
        return data


def _council_id(request) -> int:
    return request.site_ref.council.id


@admin.register(SocialConnection, site=council_admin_site)
class SocialConnectionAdmin(admin.ModelAdmin):
    form = SocialConnectionForm
    list_display = ["__str__", "kind", "external_id", "display_number", "enabled", "test_result"]
    list_filter = ["kind", "enabled"]
    actions = ["test_connections", "disable_connections", "enable_connections"]
    readonly_fields = ["last_tested_at", "last_test_ok", "last_test_detail"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        council_id = _council_id(request)

        class Bound(form):
            def __init__(self, *args, **inner):
                super().__init__(*args, council_id=council_id, **inner)

        return Bound

    @admin.display(description="Last test")
    def test_result(self, obj: SocialConnection) -> str:
        if obj.last_tested_at is None:
            return "Not tested"
        return ("OK: " if obj.last_test_ok else "Failed: ") + obj.last_test_detail

    def save_model(self, request, obj, form, change):
        connection_save(
            council_id=_council_id(request),
            connection=obj,
            token=form.cleaned_data.get("token", ""),
        )

    def delete_model(self, request, obj):
        connection_delete(council_id=_council_id(request), connection=obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            connection_delete(council_id=_council_id(request), connection=obj)

    @admin.action(description="Test connection (asks Meta's Graph API)")
    def test_connections(self, request, queryset):
        for obj in queryset:
            ok, detail = connection_test(connection=obj)
            self.message_user(
                request,
                f"{obj}: {'works' if ok else 'does not work'} ({detail})",
                messages.SUCCESS if ok else messages.ERROR,
            )

    @admin.action(description="Disable (stop receiving and sending)")
    def disable_connections(self, request, queryset):
        queryset.update(enabled=False)

    @admin.action(description="Enable")
    def enable_connections(self, request, queryset):
        queryset.update(enabled=True)


@admin.register(WhatsAppTemplate, site=council_admin_site)
class WhatsAppTemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "language", "enabled", "body_preview"]
    list_filter = ["enabled", "language"]
