"""The two admin sites and the admin bases the apps share; nothing else.

A council's connection searches `council_x, public`, so one shared AdminSite would show
every council's row to any council admin. The public site (partnership managers) and the
council site (council admins) therefore register different models. Each app registers its
own models and pages (`<app>/admin.py`); this module imports no app.

Who may do what on the council site is decided by two groups seeded in every council
(councils/onboarding.py): "Council admins" manage the council's set-up; "Operators" only
chat, and in the admin see just their own past chats and the canned responses.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import admin
from django.contrib.admin import AdminSite
from django.contrib.contenttypes import views as contenttype_views
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.urls import path, reverse


def view_on_site(request, content_type_id: int, object_id: str):
    """Django's "view on site" shortcut, with an id its model's key cannot hold answered 404:
    Django's raises ValidationError for `/admin/r/<ct>/1/` when the key is a UUID (a 500,
    found by tests/reliability/test_hostile_http.py)."""
    try:
        return contenttype_views.shortcut(request, content_type_id, object_id)
    except ValidationError:
        raise Http404("No such object.") from None


@dataclass(frozen=True)
class AdminPage:
    """A page of an app's own on an admin site (a report, a set-password form).

    `make_view(site)` returns the view; with `login_required` it is wrapped in the site's
    `admin_view`. A page with `listed_under` and `title` is listed on the index with that
    app's models, for users who hold `permission` (django-tenants' admin index shows only
    apps of the council's schema, so a page cannot be an app of its own there).
    """

    route: str
    name: str
    make_view: Callable[[AdminSite], Callable]
    login_required: bool = True
    listed_under: str = ""
    title: str = ""
    permission: str = ""


class PagesAdminSite(AdminSite):
    """An AdminSite the apps can add pages to (see AdminPage)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._pages: list[AdminPage] = []

    def register_page(self, page: AdminPage) -> None:
        self._pages = [p for p in self._pages if p.name != page.name] + [page]

    def get_urls(self):
        own = []
        for page in self._pages:
            view = page.make_view(self)
            if page.login_required:
                view = self.admin_view(view)
            own.append(path(page.route, view, name=page.name))
        urls = super().get_urls()
        for n, url in enumerate(urls):
            if getattr(url, "name", None) == "view_on_site":
                urls[n] = path(
                    "r/<int:content_type_id>/<path:object_id>/",
                    self.admin_view(view_on_site),
                    name="view_on_site",
                )
        return own + urls

    def get_app_list(self, request, app_label=None):
        apps = super().get_app_list(request, app_label)
        for page in self._pages:
            if not page.listed_under or not request.user.has_perm(page.permission):
                continue
            for app in apps:
                if app["app_label"] == page.listed_under:
                    app["models"].append(
                        {
                            "name": page.title,
                            "object_name": page.name,
                            "admin_url": reverse(f"{self.name}:{page.name}"),
                            "add_url": None,
                            "view_only": True,
                            "perms": {"view": True},
                        }
                    )
        return apps


class PublicAdminSite(PagesAdminSite):
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


class CouncilAdminSite(PagesAdminSite):
    site_title = "CouncilChat"
    index_title = "Your council's chat"

    def each_context(self, request):
        context = super().each_context(request)
        council = getattr(getattr(request, "site_ref", None), "council", None)
        context["site_header"] = f"{council.name}: CouncilChat" if council else "CouncilChat"
        return context


class SingletonAdmin(admin.ModelAdmin):
    """A one-row-per-council settings model (config.singleton.SingletonModel): the list
    goes straight to its only row."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        obj = self.model.current()  # created with defaults on first visit
        opts = self.model._meta
        url = reverse(
            f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_change", args=[obj.pk]
        )
        return HttpResponseRedirect(url)


class ReadOnlyAdmin(admin.ModelAdmin):
    """A record nobody edits in the admin (audit entries, receipts, the outbox): listed and
    opened read-only; nothing added, changed or deleted here. Admin actions that do a
    service's work (a retry, an export) still run, behind their own permission checks."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


public_admin_site = PublicAdminSite(name="public_admin")
council_admin_site = CouncilAdminSite(name="admin")
