"""URLs of the public host (partnership managers)."""

from django.urls import include, path
from django.views.generic import TemplateView

from config.admin_sites import public_admin_site
from config.favicon import favicon
from config.health import healthz
from staffauth import views as staffauth_views

urlpatterns = [
    # Staff sign-in (lockout, two-factor, single sign-on) replaces the admin's own login.
    path("admin/login/", staffauth_views.login, name="staff-login"),
    path("", include("staffauth.urls")),
    path("admin/", public_admin_site.urls),
    path("healthz", healthz, name="healthz"),
    path("favicon.ico", favicon),
    path("", TemplateView.as_view(template_name="demo/public_index.html"), name="home"),
]
