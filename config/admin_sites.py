"""Two admin sites, so a council's admin can never list what lives in the public schema.

A council's connection searches `council_x, public`, so one shared AdminSite would show
every council's row to any council admin. The public site (partnership managers) and the
council site (council admins) therefore register different models.
"""

from django.contrib.admin import AdminSite
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User


class PublicAdminSite(AdminSite):
    site_header = "CouncilChat: partnership managers"
    site_title = "CouncilChat"
    index_title = "Councils and partnerships"


class CouncilAdminSite(AdminSite):
    site_title = "CouncilChat"
    index_title = "Your council's chat"

    def each_context(self, request):
        context = super().each_context(request)
        council = getattr(getattr(request, "site_ref", None), "council", None)
        context["site_header"] = f"{council.name}: CouncilChat" if council else "CouncilChat"
        return context


public_admin_site = PublicAdminSite(name="public_admin")
council_admin_site = CouncilAdminSite(name="admin")

for site in (public_admin_site, council_admin_site):
    site.register(User, UserAdmin)
    site.register(Group, GroupAdmin)
