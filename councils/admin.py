"""The partnership managers' admin (public site): councils, hosts, partnerships and their
routing, and its users; and the council site's set-password pages of onboarding."""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import AdminSite
from django.contrib.auth import views as auth_views
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse, reverse_lazy

from chat.labels import routing_rows
from config.admin_sites import AdminPage, council_admin_site, public_admin_site
from councils.models import (
    Council,
    Domain,
    Partnership,
    PartnershipService,
    PostcodeDistrict,
    RoutingDecision,
    RoutingRule,
)
from councils.offboarding import OffboardRefused, council_offboard
from councils.onboarding import (
    DEFAULT_BRAND_COLOUR,
    DEFAULT_DEPARTMENTS,
    CouncilSpec,
    CouncilTokenGenerator,
    council_onboard,
)

public_admin_site.register(User, UserAdmin)
public_admin_site.register(Group, GroupAdmin)


# --- the council site's set-password pages (links sent by onboarding) ---------------------


class SetPasswordConfirmView(auth_views.PasswordResetConfirmView):
    """The first admin's set-password link (and any later reset link) on a council host.

    Tokens are checked with the council's own generator (salted with its schema name).
    """

    admin_site: AdminSite | None = None
    # The staff sign-in pages' layout: the council's name and colours, and no admin side bar
    # saying "You don't have permission to view or edit anything" (issue 15).
    template_name = "staffauth/set_password.html"
    success_url = reverse_lazy("admin:set_password_complete")
    post_reset_login = False

    def dispatch(self, *args, **kwargs):
        self.token_generator = CouncilTokenGenerator(connection.schema_name)
        return super().dispatch(*args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(self.admin_site.each_context(self.request))
        context["title"] = "Choose your password"
        return context


class SetPasswordCompleteView(auth_views.PasswordResetCompleteView):
    admin_site: AdminSite | None = None
    template_name = "staffauth/set_password_done.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(self.admin_site.each_context(self.request))
        context["title"] = "Password set"
        context["login_url"] = reverse_lazy("admin:login")
        return context


council_admin_site.register_page(
    AdminPage(
        route="set-password/<uidb64>/<token>/",
        name="set_password_confirm",
        make_view=lambda site: SetPasswordConfirmView.as_view(admin_site=site),
        login_required=False,
    )
)
council_admin_site.register_page(
    AdminPage(
        route="set-password/done/",
        name="set_password_complete",
        make_view=lambda site: SetPasswordCompleteView.as_view(admin_site=site),
        login_required=False,
    )
)


class DomainInline(admin.TabularInline):
    model = Domain
    extra = 1


class OnboardForm(forms.Form):
    """One council, as a partnership manager describes it (councils.onboarding.CouncilSpec)."""

    name = forms.CharField(max_length=200, help_text="e.g. West Dorset District Council")
    name_cy = forms.CharField(
        label="Welsh name",
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"lang": "cy"}),
        help_text="Optional, e.g. Cyngor Dosbarth Gorllewin Dorset: shown to residents "
        "chatting in Welsh instead of the English name.",
    )
    slug = forms.SlugField(help_text="Short name for URLs and the schema, e.g. west-dorset.")
    hosts = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The council's hosts, one per line; the first is its main one.",
    )
    admin_name = forms.CharField(
        label="First admin's full name",
        max_length=150,
        help_text="e.g. Sam Patel. Residents will see their first name in chats.",
    )
    admin_email = forms.EmailField(
        label="First admin's email", help_text="They are sent a link to choose a password."
    )
    partnership = forms.ModelChoiceField(
        queryset=Partnership.objects.all(), required=False, empty_label="None"
    )
    brand_colour = forms.CharField(initial=DEFAULT_BRAND_COLOUR, max_length=7)
    departments = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        initial="\n".join(DEFAULT_DEPARTMENTS),
        help_text="One per line.",
    )

    def spec(self) -> CouncilSpec:
        data = self.cleaned_data
        return CouncilSpec(
            name=data["name"],
            slug=data["slug"],
            hosts=tuple(data["hosts"].split()),
            admin_email=data["admin_email"],
            partnership_slug=data["partnership"].slug if data["partnership"] else "",
            brand_colour=data["brand_colour"],
            departments=tuple(data["departments"].splitlines()),
            admin_name=data["admin_name"],
            name_cy=data["name_cy"],
        )


class OffboardForm(forms.Form):
    confirm_slug = forms.CharField(label="Type the council's slug to confirm", max_length=50)


@admin.register(Council, site=public_admin_site)
class CouncilAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "schema_name", "partnership", "created_at"]
    list_filter = ["partnership"]
    search_fields = ["name", "slug"]
    inlines = [DomainInline]
    actions = ["offboard"]

    def get_readonly_fields(self, request, obj=None):
        # The schema is the council's data: renaming it from a form is not a safe edit.
        return ["schema_name"] if obj else []

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "name_cy" and field is not None:
            field.widget.attrs["lang"] = "cy"  # read and spell-checked as Welsh
        return field

    def has_delete_permission(self, request, obj=None) -> bool:
        # Deleting the row would leave its schema behind: offboarding exports, then drops.
        return False

    def add_view(self, request, form_url="", extra_context=None):
        """Adding a council is onboarding it: schema, roles, defaults, first admin."""
        if not self.has_add_permission(request):
            return HttpResponseRedirect(reverse("public_admin:index"))
        form = OnboardForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                result = council_onboard(form.spec())
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                if result.created:
                    self.message_user(
                        request,
                        f"{result.council.name} is onboarded ({result.method}, "
                        f"{result.seconds:.1f} s). A set-password link was emailed to "
                        f"{result.admin_email}.",
                        messages.SUCCESS,
                    )
                else:
                    self.message_user(
                        request,
                        f"{result.council.name} already existed: its details and hosts "
                        "were updated; no invitation was sent.",
                        messages.WARNING,
                    )
                return HttpResponseRedirect(
                    reverse("public_admin:councils_council_change", args=[result.council.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "title": "Onboard a council",
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/councils/council/onboard.html", context)

    @admin.action(description="Offboard the selected council (export, then delete)")
    def offboard(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Offboard one council at a time.", messages.ERROR)
            return None
        council = queryset.get()
        form = OffboardForm(request.POST if "confirm_slug" in request.POST else None)
        if form.is_valid():
            try:
                result = council_offboard(
                    slug=council.slug, confirm=form.cleaned_data["confirm_slug"]
                )
            except OffboardRefused as exc:
                form.add_error("confirm_slug", str(exc))
            else:
                self.message_user(
                    request,
                    f"{council.name} is offboarded: {result.rows_exported} rows "
                    f"({result.conversations_exported} chats) exported to "
                    f"{result.export_path}.",
                    messages.SUCCESS,
                )
                return None
        context = {
            **self.admin_site.each_context(request),
            "title": f"Offboard {council.name}?",
            "council": council,
            "hosts": list(council.domains.values_list("domain", flat=True)),
            "form": form,
            "opts": self.model._meta,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            "settle_seconds": round(settings.COUNCIL_OFFBOARD_SETTLE_SECONDS),
        }
        return TemplateResponse(request, "admin/councils/council/offboard.html", context)


@admin.register(Partnership, site=public_admin_site)
class PartnershipAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "domain"]
    prepopulated_fields = {"slug": ["name"]}


class PartnershipServiceInline(admin.TabularInline):
    model = PartnershipService
    extra = 0
    prepopulated_fields = {"slug": ["name"]}


class RoutingRuleInline(admin.StackedInline):
    model = RoutingRule
    extra = 0
    fields = [
        ("position", "kind", "is_active"),
        "label",
        ("page_match", "page_pattern"),
        "service",
        ("council", "department_slug"),
    ]
    ordering = ["position", "id"]


class PostcodeDistrictInline(admin.TabularInline):
    model = PostcodeDistrict
    extra = 0


PartnershipAdmin.inlines = [PartnershipServiceInline, RoutingRuleInline, PostcodeDistrictInline]


@admin.register(RoutingDecision, site=public_admin_site)
class RoutingDecisionAdmin(admin.ModelAdmin):
    """Why each partnership chat went where it did (no personal data is kept here)."""

    list_display = [
        "created_at",
        "partnership",
        "council",
        "decided_by",
        "label",
        "service_slug",
        "postcode_district",
    ]
    list_filter = ["partnership", "council", "kind"]

    @admin.display(description="decided by", ordering="kind")
    def decided_by(self, obj) -> str:
        """The rule's kind in words (issue 15: readable routing decisions)."""
        rows = dict(routing_rows({"kind": obj.kind}))
        return rows.get("Decided by", obj.kind)

    search_fields = ["conversation_id", "label", "postcode_district"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
