"""Two admin sites, so a council's admin can never list what lives in the public schema.

A council's connection searches `council_x, public`, so one shared AdminSite would show
every council's row to any council admin. The public site (partnership managers) and the
council site (council admins) therefore register different models.

Who may do what on the council site is decided by two groups seeded in every council
(councils/onboarding.py): "Council admins" manage the council's set-up; "Operators" only
chat, and in the admin see just their own past chats and the canned responses.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin import AdminSite
from django.contrib.auth import views as auth_views
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User
from django.db import connection
from django.urls import path, reverse, reverse_lazy


class PublicAdminSite(AdminSite):
    site_header = "CouncilChat: partnership managers"
    site_title = "CouncilChat"
    index_title = "Councils and partnerships"

    def get_urls(self):
        from reports.views import partnership_report_view

        own = [
            path(
                "partnership-report/",
                self.admin_view(lambda request: partnership_report_view(request, self)),
                name="partnership_report",
            )
        ]
        return own + super().get_urls()

    def get_app_list(self, request, app_label=None):
        """The partnership report (reports/) is listed with the councils."""
        apps = super().get_app_list(request, app_label)
        for app in apps:
            if app["app_label"] == "councils":
                app["models"].append(
                    {
                        "name": "Partnership report",
                        "object_name": "PartnershipReport",
                        "admin_url": reverse("public_admin:partnership_report"),
                        "add_url": None,
                        "view_only": True,
                        "perms": {"view": True},
                    }
                )
        return apps


class SetPasswordConfirmView(auth_views.PasswordResetConfirmView):
    """The first admin's set-password link (and any later reset link) on a council host.

    Tokens are checked with the council's own generator (salted with its schema name).
    """

    admin_site: AdminSite | None = None
    template_name = "registration/password_reset_confirm.html"
    success_url = reverse_lazy("admin:set_password_complete")
    post_reset_login = False

    def dispatch(self, *args, **kwargs):
        from councils.onboarding import CouncilTokenGenerator

        self.token_generator = CouncilTokenGenerator(connection.schema_name)
        return super().dispatch(*args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(self.admin_site.each_context(self.request))
        context["title"] = "Choose your password"
        return context


class SetPasswordCompleteView(auth_views.PasswordResetCompleteView):
    admin_site: AdminSite | None = None
    template_name = "registration/password_reset_complete.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(self.admin_site.each_context(self.request))
        context["title"] = "Password set"
        context["login_url"] = reverse_lazy("admin:login")
        return context


class CouncilAdminSite(AdminSite):
    site_title = "CouncilChat"
    index_title = "Your council's chat"

    def each_context(self, request):
        context = super().each_context(request)
        council = getattr(getattr(request, "site_ref", None), "council", None)
        context["site_header"] = f"{council.name}: CouncilChat" if council else "CouncilChat"
        return context

    def get_urls(self):
        own = [
            path(
                "set-password/<uidb64>/<token>/",
                SetPasswordConfirmView.as_view(admin_site=self),
                name="set_password_confirm",
            ),
            path(
                "set-password/done/",
                SetPasswordCompleteView.as_view(admin_site=self),
                name="set_password_complete",
            ),
            path("report/", self.admin_view(self.service_report_view), name="service_report"),
        ]
        return own + super().get_urls()

    # Reports are for whoever may change the council's routing: council admins.
    REPORT_PERMISSION = "routing.change_routingsettings"

    def service_report_view(self, request):
        """The council report (reports/), which supersedes the old service report."""
        from reports.views import council_report_view

        return council_report_view(request, self, self.REPORT_PERMISSION)

    def get_app_list(self, request, app_label=None):
        """The report is listed with the chats (django-tenants' admin index template shows
        only apps of the council's schema, so it cannot be an app of its own)."""
        apps = super().get_app_list(request, app_label)
        if not request.user.has_perm(self.REPORT_PERMISSION):
            return apps
        for app in apps:
            if app["app_label"] == "chat":
                app["models"].append(
                    {
                        "name": "Reports",
                        "object_name": "Reports",
                        "admin_url": reverse("admin:service_report"),
                        "add_url": None,
                        "view_only": True,
                        "perms": {"view": True},
                    }
                )
        return apps


ROLE_GROUPS = ("Council admins", "Operators")  # councils.onboarding.COUNCIL_ADMINS, OPERATORS


class CouncilUserAdmin(UserAdmin):
    """The council's operators and admins.

    Only a superuser sees superuser status and per-user permissions: a council admin gives
    access through the two groups, and cannot make anyone (themselves included) a superuser.
    """

    list_display = ["username", "email", "first_name", "last_name", "is_active", "roles"]
    list_filter = ["is_active", "groups"]

    @admin.display(description="roles")
    def roles(self, obj) -> str:
        return ", ".join(g.name for g in obj.groups.all()) or "-"

    def get_queryset(self, request):
        queryset = super().get_queryset(request).prefetch_related("groups")
        if not request.user.is_superuser:
            # A council admin cannot open (and so not reset the password of) a superuser.
            queryset = queryset.filter(is_superuser=False)
        return queryset

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.is_superuser or obj is None:
            return fieldsets
        limited = []
        for title, options in fieldsets:
            fields = [
                f
                for f in options["fields"]
                if f not in {"is_superuser", "user_permissions", "last_login", "date_joined"}
            ]
            limited.append((title, {**options, "fields": fields}))
        return limited

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # Both roles sign in through the admin's login page (also the console's), which
        # needs staff status: putting someone in a role gives it.
        user = form.instance
        if not user.is_staff and user.groups.filter(name__in=ROLE_GROUPS).exists():
            user.is_staff = True
            user.save(update_fields=["is_staff"])

    def get_inlines(self, request, obj):
        from routing.admin import OperatorPresenceInline

        return [OperatorPresenceInline] if obj is not None else []


public_admin_site = PublicAdminSite(name="public_admin")
council_admin_site = CouncilAdminSite(name="admin")

public_admin_site.register(User, UserAdmin)
public_admin_site.register(Group, GroupAdmin)
council_admin_site.register(User, CouncilUserAdmin)
council_admin_site.register(Group, GroupAdmin)
