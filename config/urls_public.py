"""URLs of the public host (partnership managers)."""

from django.conf import settings
from django.urls import include, path

from config.admin_sites import public_admin_site
from config.favicon import favicon
from config.health import healthz
from social.webhooks import meta_webhook
from staffauth import views as staffauth_views

urlpatterns = [
    # Staff sign-in (lockout, two-factor, single sign-on) replaces the admin's own login.
    path("admin/login/", staffauth_views.login, name="staff-login"),
    path("", include("staffauth.urls")),
    path("admin/", public_admin_site.urls),
    path("healthz", healthz, name="healthz"),
    path("favicon.ico", favicon),
    # Meta's Messenger and WhatsApp webhooks, for every council (social/webhooks.py).
    path("webhooks/meta", meta_webhook, name="meta-webhook"),
]

if settings.DEMO:
    from demo.urls import public_patterns

    urlpatterns += public_patterns

# Database outages answer 503 with Retry-After, not 500; what Django refuses before a view
# (400) and unknown addresses (404) answer JSON on the widget's paths (reliability/views.py).
handler400 = "reliability.views.bad_request"
handler404 = "reliability.views.not_found"
handler500 = "reliability.views.server_error"
