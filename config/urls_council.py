"""URLs of a council's host: its widget API, console, admin (and the demo's pages)."""

from django.conf import settings
from django.urls import include, path

from chat.views import console, profile, supervisor
from config.admin_sites import council_admin_site
from config.favicon import favicon
from config.health import healthz
from staffauth import views as staffauth_views

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
    path("console/supervisor/", supervisor, name="supervisor"),
    path("console/profile/", profile, name="console-profile"),
    # Photos and PDFs in chats: operators' uploads and downloads (docs/attachments.md).
    path("console/", include("attachments.console_urls")),
    path("healthz", healthz, name="healthz"),
    path("favicon.ico", favicon),
    path("widget/", include("widgets.urls")),
    # Residents' Messenger and WhatsApp attachments, for staff (social/views.py).
    path("social/", include("social.urls")),
]

if settings.DEMO:  # the demo's pretend council website, a catch-all: last
    from demo.urls import site_patterns

    urlpatterns += site_patterns

# Database outages answer 503 with Retry-After, not 500; what Django refuses before a view
# (400) and unknown addresses (404) answer JSON on the widget's paths (reliability/views.py).
handler400 = "reliability.views.bad_request"
handler404 = "reliability.views.not_found"
handler500 = "reliability.views.server_error"
