"""URLs of a partnership's shared host: the widget API (and the demo's pages)."""

from django.conf import settings
from django.urls import include, path

from config.favicon import favicon
from config.health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("favicon.ico", favicon),
    path("widget/", include("widgets.urls")),
]

if settings.DEMO:  # the demo's pretend partnership website, a catch-all: last
    from demo.urls import site_patterns

    urlpatterns += site_patterns

# Database outages answer 503 with Retry-After, not 500; what Django refuses before a view
# (400) and unknown addresses (404) answer JSON on the widget's paths (reliability/views.py).
handler400 = "reliability.views.bad_request"
handler404 = "reliability.views.not_found"
handler500 = "reliability.views.server_error"
