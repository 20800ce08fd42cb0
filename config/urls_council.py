"""URLs of a council's host: its widget API, console, admin and demo pages."""

from django.conf import settings
from django.urls import include, path

from chat.views import console
from config.admin_sites import council_admin_site
from config.favicon import favicon
from config.health import healthz
from widgets import views as widget_views

urlpatterns = [
    path("admin/", council_admin_site.urls),
    path("console/", console, name="console"),
    path("healthz", healthz, name="healthz"),
    path("favicon.ico", favicon),
    path("widget/", include("widgets.urls")),
    path("social/", include("social.urls")),
    # The resident simulator for Messenger and WhatsApp (demo and tests only: social/demo.py).
    *([path("demo/social/", include("social.demo"))] if settings.SOCIAL_SIMULATOR else []),
    path("", widget_views.demo_index, name="demo-index"),
    path("<path:path>", widget_views.demo_service_page, name="demo-page"),
]
