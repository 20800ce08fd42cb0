"""A council's teams, hours, closures, operators' capacity and routing choices."""

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import HttpResponseRedirect
from django.urls import reverse

from config.admin_sites import council_admin_site
from routing.models import (
    Closure,
    Department,
    OpeningHours,
    OperatorPresence,
    RoutingSettings,
    ServicePage,
)


class SingletonAdmin(admin.ModelAdmin):
    """A one-row-per-council settings model: the list goes straight to its only row."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        obj = self.model.current()  # created with defaults on first visit
        opts = self.model._meta
        url = reverse(
            f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_change", args=[obj.pk]
        )
        return HttpResponseRedirect(url)


# Inlines are stacked, not tabular: Django's tabular inline leaves its inputs without labels
# (axe-core "label"), and the members are checkboxes rather than filter_horizontal, whose
# search icon carries a prohibited aria attribute (tests/e2e/test_admin_pages.py).
class ServicePageInline(admin.StackedInline):
    model = ServicePage
    extra = 0


class OpeningHoursInline(admin.StackedInline):
    model = OpeningHours
    extra = 0


class ClosureInline(admin.StackedInline):
    model = Closure
    extra = 0
    fields = ["date", "reason"]
    verbose_name = "closure of this department"
    verbose_name_plural = "closures of this department (whole-council closures: Closures)"


@admin.register(Department, site=council_admin_site)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "position", "email", "operator_count"]
    search_fields = ["name", "name_cy", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    formfield_overrides = {models.ManyToManyField: {"widget": forms.CheckboxSelectMultiple}}
    fields = ["name", "name_cy", "slug", "position", "email", "members"]
    inlines = [ServicePageInline, OpeningHoursInline, ClosureInline]

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "members":
            # Operators are the council's staff users; deactivated ones drop out of the list.
            kwargs["queryset"] = get_user_model().objects.filter(is_staff=True, is_active=True)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    @admin.display(description="operators")
    def operator_count(self, obj) -> str:
        count = obj.members.count()
        return str(count) if count else "all"


@admin.register(Closure, site=council_admin_site)
class ClosureAdmin(admin.ModelAdmin):
    """Days with no chat: the whole council (no department) or one department."""

    list_display = ["date", "reason", "department"]
    list_filter = ["department"]
    date_hierarchy = "date"


@admin.register(RoutingSettings, site=council_admin_site)
class RoutingSettingsAdmin(SingletonAdmin):
    fieldsets = [
        ("Assignment", {"fields": ["assignment_strategy", "max_chats_per_operator", "queue_cap"]}),
        ("Follow-up", {"fields": ["missed_after_seconds", "unanswered_after_seconds"]}),
        ("Welsh and bank holidays", {"fields": ["welsh_policy", "bank_holidays"]}),
    ]


class OperatorPresenceInline(admin.StackedInline):
    """Capacity and skills on the user's page; status belongs to the console."""

    model = OperatorPresence
    fields = ["max_chats", "speaks_welsh", "status", "last_seen"]
    readonly_fields = ["status", "last_seen"]
    can_delete = False
    verbose_name = verbose_name_plural = "capacity and skills"


@admin.register(OperatorPresence, site=council_admin_site)
class OperatorPresenceAdmin(admin.ModelAdmin):
    """Per-operator limits and skills; status and last_seen belong to the console."""

    list_display = ["user", "status", "last_seen", "max_chats", "speaks_welsh"]
    list_editable = ["max_chats", "speaks_welsh"]
    readonly_fields = ["status", "last_seen", "last_assigned_at"]
    fields = ["user", "max_chats", "speaks_welsh", "status", "last_seen", "last_assigned_at"]
