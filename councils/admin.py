from django.contrib import admin

from config.admin_sites import public_admin_site
from councils.models import (
    Council,
    Domain,
    Partnership,
    PartnershipService,
    PostcodeDistrict,
    RoutingDecision,
    RoutingRule,
)


class DomainInline(admin.TabularInline):
    model = Domain
    extra = 1


@admin.register(Council, site=public_admin_site)
class CouncilAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "schema_name", "partnership"]
    list_filter = ["partnership"]
    search_fields = ["name", "slug"]
    inlines = [DomainInline]

    def get_readonly_fields(self, request, obj=None):
        # The schema is the council's data: renaming it from a form is not a safe edit.
        return ["schema_name"] if obj else []


@admin.register(Partnership, site=public_admin_site)
class PartnershipAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "domain"]
    prepopulated_fields = {"slug": ["name"]}


class PartnershipServiceInline(admin.TabularInline):
    model = PartnershipService
    extra = 0
    prepopulated_fields = {"slug": ["name"]}


class RoutingRuleInline(admin.StackedInline):
    model = RoutingRule
    extra = 0
    fields = [
        ("position", "kind", "is_active"),
        "label",
        ("page_match", "page_pattern"),
        "service",
        ("council", "department_slug"),
    ]
    ordering = ["position", "id"]


class PostcodeDistrictInline(admin.TabularInline):
    model = PostcodeDistrict
    extra = 0


PartnershipAdmin.inlines = [PartnershipServiceInline, RoutingRuleInline, PostcodeDistrictInline]


@admin.register(RoutingDecision, site=public_admin_site)
class RoutingDecisionAdmin(admin.ModelAdmin):
    """Why each partnership chat went where it did (no personal data is kept here)."""

    list_display = [
        "created_at",
        "partnership",
        "council",
        "kind",
        "label",
        "service_slug",
        "postcode_district",
    ]
    list_filter = ["partnership", "council", "kind"]
    search_fields = ["conversation_id", "label", "postcode_district"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
