from django.contrib import admin

from config.admin_sites import council_admin_site
from routing.models import (
    Department,
    OpeningHours,
    OperatorPresence,
    RoutingSettings,
    ServicePage,
)


class ServicePageInline(admin.TabularInline):
    model = ServicePage
    extra = 0


class OpeningHoursInline(admin.TabularInline):
    model = OpeningHours
    extra = 0


@admin.register(Department, site=council_admin_site)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "position"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["members"]
    inlines = [ServicePageInline, OpeningHoursInline]


@admin.register(RoutingSettings, site=council_admin_site)
class RoutingSettingsAdmin(admin.ModelAdmin):
    list_display = ["assignment_strategy", "max_chats_per_operator", "queue_cap", "welsh_policy"]

    def has_add_permission(self, request) -> bool:
        return not RoutingSettings.objects.exists()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(OperatorPresence, site=council_admin_site)
class OperatorPresenceAdmin(admin.ModelAdmin):
    """Per-operator limits and skills; status and last_seen belong to the console."""

    list_display = ["user", "status", "last_seen", "max_chats", "speaks_welsh"]
    list_editable = ["max_chats", "speaks_welsh"]
    readonly_fields = ["status", "last_seen", "last_assigned_at"]
    fields = ["user", "max_chats", "speaks_welsh", "status", "last_seen", "last_assigned_at"]
