from django.contrib import admin

from config.admin_sites import public_admin_site
from councils.models import Council, Domain, Partnership


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
