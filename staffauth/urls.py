"""Staff sign-in URLs; included before the admin's own on council and public hosts, so
/admin/login/ is ours (the console and both admin sites log in there)."""

from django.urls import path

from staffauth import views

app_name = "staffauth"

urlpatterns = [
    path("admin/login/two-factor/", views.two_factor, name="two_factor"),
    path("admin/login/two-factor/setup/", views.two_factor_setup, name="two_factor_setup"),
    path("admin/sign-out-everywhere/", views.sign_out_everywhere_view, name="sign_out_everywhere"),
    path("auth/sso/start/", views.sso_start, name="sso_start"),
    path("auth/sso/callback/", views.sso_callback, name="sso_callback"),
]
