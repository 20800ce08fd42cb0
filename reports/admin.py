"""The reports' pages on the two admin sites (config.admin_sites.AdminPage).

The council report (GET /admin/report/) supersedes the old service report and keeps its URL
and name; the partnership report (GET /admin/partnership-report/ on the public host) holds
aggregates per member council only.
"""

from __future__ import annotations

from config.admin_sites import AdminPage, council_admin_site, public_admin_site
from reports.views import council_report_view, partnership_report_view

# Reports are for whoever may change the council's routing: council admins.
REPORT_PERMISSION = "routing.change_routingsettings"

council_admin_site.register_page(
    AdminPage(
        route="report/",
        name="service_report",
        make_view=lambda site: (
            lambda request: council_report_view(request, site, REPORT_PERMISSION)
        ),
        listed_under="chat",  # with the chats it reports on
        title="Reports",
        permission=REPORT_PERMISSION,
    )
)

public_admin_site.register_page(
    AdminPage(
        route="partnership-report/",
        name="partnership_report",
        make_view=lambda site: lambda request: partnership_report_view(request, site),
        listed_under="councils",
        title="Partnership report",
        permission="councils.view_partnership",
    )
)
