"""The council's widget: branding (with a preview), pre-chat questions and offline links."""

from django.contrib import admin
from django.db import models

from config.admin_sites import SingletonAdmin, council_admin_site
from widgets.contrast import contrast_ratio
from widgets.models import OfflineLink, PrechatField, WidgetSettings

# An address typed without a scheme means https (Django 6's default; silences its warning).
HTTPS_URLS = {models.URLField: {"assume_scheme": "https"}}


@admin.register(WidgetSettings, site=council_admin_site)
class WidgetSettingsAdmin(SingletonAdmin):
    """One page per council. The preview shows the saved colours and texts (escaped).

    The model's clean() refuses a text colour without WCAG AA contrast on the brand colour;
    the ModelForm runs it, so the error appears on the text colour field.
    """

    change_form_template = "admin/widgets/widgetsettings/change_form.html"
    formfield_overrides = HTTPS_URLS
    fieldsets = [
        (
            "Branding",
            {
                "fields": [
                    "brand_colour",
                    "text_colour",
                    "logo_url",
                    "launcher_text",
                    "launcher_text_cy",
                    "launcher_position",
                    "greeting",
                    "greeting_cy",
                ]
            },
        ),
        ("Languages", {"fields": ["offer_welsh", "default_language"]}),
        (
            "Privacy",
            {
                "fields": [
                    "privacy_notice_url",
                    "privacy_notice_url_cy",
                    "lawful_basis",
                    "lawful_basis_cy",
                ]
            },
        ),
        (
            "Out of hours",
            {"fields": ["offline_mode", "offline_message", "offline_message_cy"]},
        ),
        ("Sensitive services", {"fields": ["quick_exit_enabled", "quick_exit_url"]}),
        ("End of chat", {"fields": ["transcript_enabled", "rating_enabled"]}),
    ]

    def render_change_form(self, request, context, *args, obj=None, **kwargs):
        # The preview shows what is saved, not what a rejected form holds.
        preview = WidgetSettings.objects.filter(pk=obj.pk).first() if obj else None
        context["preview"] = preview
        council = getattr(getattr(request, "site_ref", None), "council", None)
        context["preview_title"] = council.name if council else "Chat"
        if preview is not None:
            context["contrast"] = f"{contrast_ratio(preview.brand_colour, preview.text_colour):.1f}"
        return super().render_change_form(request, context, *args, obj=obj, **kwargs)


@admin.register(PrechatField, site=council_admin_site)
class PrechatFieldAdmin(admin.ModelAdmin):
    list_display = ["label", "key", "kind", "required", "position"]
    list_editable = ["position"]
    fields = [
        ("label", "label_cy"),
        "key",
        ("kind", "required"),
        ("help_text", "help_text_cy"),
        "choices",
        "position",
    ]


@admin.register(OfflineLink, site=council_admin_site)
class OfflineLinkAdmin(admin.ModelAdmin):
    list_display = ["title", "url", "position"]
    formfield_overrides = HTTPS_URLS
    list_editable = ["position"]
    fields = [("title", "title_cy"), "url", "position"]
