"""A council's teams, hours, closures, operators (users, capacity) and routing choices,
and the service report."""

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User
from django.db import models

from config.admin_sites import SingletonAdmin, council_admin_site
from councils.onboarding import COUNCIL_ADMINS, OPERATORS
from routing.models import (
    Closure,
    Department,
    OpeningHours,
    OperatorPresence,
    RoutingSettings,
    ServicePage,
)


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
        (
            "Follow-up",
            {
                "fields": [
                    "missed_after_seconds",
                    "unanswered_after_seconds",
                    "abandoned_after_seconds",
                ]
            },
        ),
        ("Welsh and bank holidays", {"fields": ["welsh_policy", "bank_holidays"]}),
    ]


class OperatorPresenceInline(admin.StackedInline):
    """Capacity and skills on the user's page; status belongs to the console."""

    model = OperatorPresence
    fields = ["display_name", "max_chats", "speaks_welsh", "status", "last_seen"]
    readonly_fields = ["status", "last_seen"]
    can_delete = False
    verbose_name = verbose_name_plural = "capacity and skills"


@admin.register(OperatorPresence, site=council_admin_site)
class OperatorPresenceAdmin(admin.ModelAdmin):
    """Per-operator limits and skills; status and last_seen belong to the console."""

    list_display = ["user", "display_name", "status", "last_seen", "max_chats", "speaks_welsh"]
    list_editable = ["max_chats", "speaks_welsh"]
    readonly_fields = ["status", "last_seen", "last_assigned_at"]
    fields = [
        "user",
        "display_name",
        "max_chats",
        "speaks_welsh",
        "status",
        "last_seen",
        "last_assigned_at",
    ]


ROLE_GROUPS = (COUNCIL_ADMINS, OPERATORS)


@admin.register(User, site=council_admin_site)
class CouncilUserAdmin(UserAdmin):
    """The council's operators and admins.

    Only a superuser sees superuser status and per-user permissions: a council admin gives
    access through the two groups, and cannot make anyone (themselves included) a superuser.
    """

    list_display = ["username", "email", "first_name", "last_name", "is_active", "roles"]
    list_filter = ["is_active", "groups"]

    @admin.display(description="roles")
    def roles(self, obj) -> str:
        return ", ".join(g.name for g in obj.groups.all()) or "-"

    def get_queryset(self, request):
        queryset = super().get_queryset(request).prefetch_related("groups")
        if not request.user.is_superuser:
            # A council admin cannot open (and so not reset the password of) a superuser.
            queryset = queryset.filter(is_superuser=False)
        return queryset

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.is_superuser or obj is None:
            return fieldsets
        limited = []
        for title, options in fieldsets:
            fields = [
                f
                for f in options["fields"]
                if f not in {"is_superuser", "user_permissions", "last_login", "date_joined"}
            ]
            limited.append((title, {**options, "fields": fields}))
        return limited

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # Both roles sign in through the admin's login page (also the console's), which
        # needs staff status: putting someone in a role gives it.
        user = form.instance
        if not user.is_staff and user.groups.filter(name__in=ROLE_GROUPS).exists():
            user.is_staff = True
            user.save(update_fields=["is_staff"])

    def get_inlines(self, request, obj):
        return [OperatorPresenceInline] if obj is not None else []


council_admin_site.register(Group, GroupAdmin)
