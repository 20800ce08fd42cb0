"""URLs of the public host (partnership managers)."""

from django.urls import path
from django.views.generic import TemplateView

from config.admin_sites import public_admin_site
from config.favicon import favicon
from config.health import healthz

urlpatterns = [
    path("admin/", public_admin_site.urls),
    path("healthz", healthz, name="healthz"),
    path("favicon.ico", favicon),
    path("", TemplateView.as_view(template_name="demo/public_index.html"), name="home"),
]

# Database outages answer 503 with Retry-After, not 500 (reliability/views.py).
handler500 = "reliability.views.server_error"
