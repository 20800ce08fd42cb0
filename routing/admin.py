from django.contrib import admin

from config.admin_sites import council_admin_site
from routing.models import Department, ServicePage


class ServicePageInline(admin.TabularInline):
    model = ServicePage
    extra = 0


@admin.register(Department, site=council_admin_site)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "position"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["members"]
    inlines = [ServicePageInline]
