"""The council's assistant in the council admin: settings, knowledge with a "try a
question" box that shows what the assistant would answer and why, synonyms, and a report."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils import timezone

from assistant.knowledge import safe_link_url
from assistant.models import AssistantSettings, KnowledgeEntry, Phrasing, Synonym, Turn
from assistant.selectors import assistant_report
from assistant.services import decide_unsafe
from config.admin_sites import council_admin_site
from routing.admin import SingletonAdmin


@admin.register(AssistantSettings, site=council_admin_site)
class AssistantSettingsAdmin(SingletonAdmin):
    fieldsets = [
        (None, {"fields": ["mode", "threshold"]}),
        (
            "What residents read",
            {
                "fields": [
                    "name",
                    "name_cy",
                    "greeting",
                    "greeting_cy",
                    "disclosure",
                    "disclosure_cy",
                ]
            },
        ),
        (
            "Safety",
            {"fields": ["emergency_message", "emergency_message_cy", "extra_safety_triggers"]},
        ),
    ]


# Stacked, not tabular: the tabular inline leaves inputs without labels (axe "label").
class PhrasingInline(admin.StackedInline):
    model = Phrasing
    fields = ["text"]
    extra = 1


class KnowledgeEntryForm(forms.ModelForm):
    class Meta:
        model = KnowledgeEntry
        fields = ["key", "language", "answer", "links", "department", "enabled"]

    def clean_links(self):
        links = self.cleaned_data["links"] or []
        if not isinstance(links, list):
            raise ValidationError('Links are a list: [{"url": "https://…", "text": "…"}].')
        for link in links:
            if not (isinstance(link, dict) and set(link) == {"url", "text"}):
                raise ValidationError('Each link is {"url": "https://…", "text": "…"}.')
            if not safe_link_url(str(link["url"])):
                raise ValidationError(f"{link['url']!r} is not an http(s) address or a path.")
        return links


class TryForm(forms.Form):
    question = forms.CharField(label="Try a question", max_length=4000)
    language = forms.ChoiceField(
        choices=[("en", "English"), ("cy", "Welsh")], initial="en", required=False
    )


@admin.register(KnowledgeEntry, site=council_admin_site)
class KnowledgeEntryAdmin(admin.ModelAdmin):
    form = KnowledgeEntryForm
    inlines = [PhrasingInline]
    list_display = ["key", "language", "enabled", "department", "updated_at"]
    list_filter = ["language", "enabled", "department"]
    search_fields = ["key", "answer", "phrasings__text"]
    change_list_template = "admin/assistant/knowledgeentry/change_list.html"

    def save_model(self, request, obj, form, change):
        obj.updated_at = timezone.now()
        super().save_model(request, obj, form, change)

    def get_urls(self):
        from django.urls import path

        return [
            path(
                "try/",
                self.admin_site.admin_view(self.try_view),
                name="assistant_knowledgeentry_try",
            ),
            *super().get_urls(),
        ]

    def try_view(self, request):
        """What the assistant would say to a question, and why (GET: nothing is stored)."""
        from django.core.exceptions import PermissionDenied
        from django.template.response import TemplateResponse

        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        form = TryForm(request.GET if "question" in request.GET else None)
        tried = None
        if form.is_bound and form.is_valid():
            tried = decide_unsafe(
                form.cleaned_data["question"], form.cleaned_data["language"] or "en"
            )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Try a question",
            "try_form": form,
            "tried": tried,
        }
        return TemplateResponse(request, "admin/assistant/knowledgeentry/try.html", context)

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "try_form": TryForm()}
        return super().changelist_view(request, extra_context=extra_context)


@admin.register(Synonym, site=council_admin_site)
class SynonymAdmin(admin.ModelAdmin):
    list_display = ["terms", "language"]
    list_filter = ["language"]


@admin.register(Turn, site=council_admin_site)
class TurnAdmin(admin.ModelAdmin):
    """What the assistant did, read-only, with the report above the list."""

    list_display = ["created_at", "kind", "answer_key", "score", "helpful", "question"]
    list_filter = ["kind", "helpful", "language", "created_at"]
    search_fields = ["question", "answer_key"]
    change_list_template = "admin/assistant/turn/change_list.html"
    readonly_fields = [f.name for f in Turn._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def changelist_view(self, request, extra_context=None):
        days = 30
        now = timezone.now()
        extra_context = extra_context or {}
        extra_context["report"] = assistant_report(now - timedelta(days=days), now)
        extra_context["report_days"] = days
        return super().changelist_view(request, extra_context=extra_context)
