"""URLs of the public host (partnership managers)."""

from django.conf import settings
from django.urls import path

from config.admin_sites import public_admin_site
from config.favicon import favicon
from config.health import healthz

urlpatterns = [
    path("admin/", public_admin_site.urls),
    path("healthz", healthz, name="healthz"),
    path("favicon.ico", favicon),
]

if settings.DEMO:
    from demo.urls import public_patterns

    urlpatterns += public_patterns

# Database outages answer 503 with Retry-After, not 500 (reliability/views.py).
handler500 = "reliability.views.server_error"
