"""URLs of a council's host: its widget API, console, admin and demo pages."""

from django.urls import include, path

from chat.views import console
from config.admin_sites import council_admin_site
from config.favicon import favicon
from config.health import healthz
from staffauth import views as staffauth_views
from widgets import views as widget_views

urlpatterns = [
    # Staff sign-in (lockout, two-factor, single sign-on) replaces the admin's own login.
    path("admin/login/", staffauth_views.login, name="staff-login"),
    path(
        "admin/set-password/<uidb64>/<token>/",
        staffauth_views.set_password_throttled,
        name="staff-set-password",
    ),
    path("", include("staffauth.urls")),
    path("admin/", council_admin_site.urls),
    path("console/", console, name="console"),
    path("healthz", healthz, name="healthz"),
    path("favicon.ico", favicon),
    path("widget/", include("widgets.urls")),
    path("", widget_views.demo_index, name="demo-index"),
    path("<path:path>", widget_views.demo_service_page, name="demo-page"),
]
