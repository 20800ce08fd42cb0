"""Data protection in the council admin: the retention schedule, legal holds, the audit log
(read-only, filterable, CSV), erasure receipts, and the subject access and erasure pages.

Views only parse, authorise and call privacy's services.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ERROR_FLAG
from django.core.exceptions import PermissionDenied
from django.forms.models import model_to_dict
from django.http import HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone

from config.admin_sites import ReadOnlyAdmin, council_admin_site
from privacy import audit
from privacy.access import subject_access
from privacy.erasure import erase_subject
from privacy.forms import SubjectForm
from privacy.holds import retention_change_record
from privacy.models import (
    AuditEntry,
    DepartmentRetention,
    ErasureReceipt,
    LegalHold,
    PrivacyTools,
    RetentionPolicy,
)


def admin_actor(request) -> audit.Actor:
    return audit.Actor.of_user(request.user, source="admin")


def _council_name(request) -> str:
    council = getattr(getattr(request, "site_ref", None), "council", None)
    return council.name if council else "Council"


class AuditedRetentionMixin:
    """Every change to the retention schedule is audited: which fields, from what to what."""

    audited_fields: tuple[str, ...] = ()

    def save_model(self, request, obj, form, change):
        before = {}
        if change and obj.pk:
            old = type(obj).objects.filter(pk=obj.pk).first()
            before = model_to_dict(old, fields=self.audited_fields) if old else {}
        super().save_model(request, obj, form, change)
        after = model_to_dict(obj, fields=self.audited_fields)
        changes = {
            name: [before.get(name), value]
            for name, value in after.items()
            if before.get(name) != value
        }
        retention_change_record(
            actor=admin_actor(request),
            object_type=obj._meta.model_name,
            object_id=obj.pk,
            changes=changes,
        )

    def delete_model(self, request, obj):
        retention_change_record(
            actor=admin_actor(request),
            object_type=obj._meta.model_name,
            object_id=obj.pk,
            changes={"deleted": [True, None]},
        )
        super().delete_model(request, obj)


@admin.register(RetentionPolicy, site=council_admin_site)
class RetentionPolicyAdmin(AuditedRetentionMixin, admin.ModelAdmin):
    audited_fields = ("transcripts_months", "enquiries_months", "social_months", "audit_months")
    fields = audited_fields

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def changelist_view(self, request, extra_context=None):
        # One schedule per council: go straight to it.
        policy = RetentionPolicy.current()
        return HttpResponseRedirect(
            reverse("admin:privacy_retentionpolicy_change", args=[policy.pk])
        )


@admin.register(DepartmentRetention, site=council_admin_site)
class DepartmentRetentionAdmin(AuditedRetentionMixin, admin.ModelAdmin):
    audited_fields = ("department", "transcripts_months", "enquiries_months")
    list_display = ["department", "transcripts_months", "enquiries_months"]


@admin.register(LegalHold, site=council_admin_site)
class LegalHoldAdmin(ReadOnlyAdmin):
    """Holds are placed and released from the chat history (actions), never edited here."""

    list_display = ["conversation_id", "reason", "placed_at", "placed_by_name", "released_at"]
    list_filter = [("released_at", admin.EmptyFieldListFilter)]


@admin.register(AuditEntry, site=council_admin_site)
class AuditEntryAdmin(ReadOnlyAdmin):
    """Read-only; filter, then export what the filters show as CSV."""

    list_display = ["at", "actor_name", "action", "source", "object_type", "object_id"]
    list_filter = ["action", "source", "object_type", "at", "actor_name"]
    search_fields = ["actor_name", "object_id"]
    search_help_text = "Search by who did it, or the id of the chat or record."
    date_hierarchy = "at"
    readonly_fields = [
        "at",
        "actor_name",
        "actor_user_id",
        "action",
        "source",
        "object_type",
        "object_id",
        "detail",
    ]
    change_list_template = "privacy/auditentry_change_list.html"

    def get_actions(self, request):
        return {}  # no bulk delete

    def get_urls(self):
        own = [
            path(
                "export.csv",
                self.admin_site.admin_view(self.export_csv),
                name="privacy_auditentry_export",
            )
        ]
        return own + super().get_urls()

    def export_csv(self, request):
        """The entries the current filters show (the changelist's query string), as CSV."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            changelist = self.get_changelist_instance(request)
            entries = list(changelist.get_queryset(request).order_by("at", "id"))
        except IncorrectLookupParameters:
            # A filter the list does not have (?from=…): the list's own answer, not a 500.
            url = reverse(f"{self.admin_site.name}:privacy_auditentry_changelist")
            return HttpResponseRedirect(f"{url}?{ERROR_FLAG}=1")
        audit.record(
            actor=admin_actor(request),
            action=audit.Action.EXPORTED,
            object_type="audit_log",
            detail={"rows": len(entries)},
        )
        response = HttpResponse(audit.entries_csv(entries), content_type="text/csv")
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
        return response


@admin.register(ErasureReceipt, site=council_admin_site)
class ErasureReceiptAdmin(ReadOnlyAdmin):
    list_display = ["id", "at", "by_name", "matched_by", "counts", "held"]
    readonly_fields = ["at", "by_name", "by_user_id", "matched_by", "counts", "held"]


@admin.register(PrivacyTools, site=council_admin_site)
class PrivacyToolsAdmin(ReadOnlyAdmin):
    """Not a table: its list page is the subject access form, and erase/ the erasure form."""

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("privacy.subject_access")

    def has_module_permission(self, request) -> bool:
        return self.has_view_permission(request)

    def get_urls(self):
        return [
            path(
                "",
                self.admin_site.admin_view(self.subject_access_view),
                name="privacy_privacytools_changelist",
            ),
            path(
                "erase/",
                self.admin_site.admin_view(self.erase_view),
                name="privacy_erase",
            ),
        ]

    def _context(self, request, title: str, **extra):
        return {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.model._meta,
            **extra,
        }

    def subject_access_view(self, request):
        """GET: the form. POST: the zip file of everything held about the person."""
        if not request.user.has_perm("privacy.subject_access"):
            raise PermissionDenied
        form = SubjectForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            result = subject_access(
                subject=form.subject(),
                actor=admin_actor(request),
                council_name=_council_name(request),
            )
            response = HttpResponse(result.zip_bytes, content_type="application/zip")
            stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
            response["Content-Disposition"] = f'attachment; filename="subject-access-{stamp}.zip"'
            return response
        return TemplateResponse(
            request,
            "privacy/subject_access.html",
            self._context(
                request,
                "Subject access request",
                form=form,
                may_erase=request.user.has_perm("privacy.erase_subject"),
            ),
        )

    def erase_view(self, request):
        """Three steps: the form; a confirmation page with what would go; the receipt.

        Only POST carries the person's identifier (never a URL, which servers log)."""
        if not request.user.has_perm("privacy.erase_subject"):
            raise PermissionDenied
        form = SubjectForm(request.POST if request.method == "POST" else None)
        if form.is_bound and form.is_valid() and request.POST.get("confirm") == "yes":
            result = erase_subject(subject=form.subject(), actor=admin_actor(request))
            messages.success(
                request, f"Erased. Receipt {result.receipt_id} records what was removed."
            )
            return HttpResponseRedirect(
                reverse("admin:privacy_erasurereceipt_change", args=[result.receipt_id])
            )
        return erase_page(request, self.admin_site, form)


def erase_page(request, site, form: SubjectForm) -> TemplateResponse:
    """The erasure form, or (for a valid form) the confirmation page: what would be erased."""
    context = {
        **site.each_context(request),
        "title": "Erase a person's data",
        "opts": PrivacyTools._meta,
        "form": form,
    }
    if form.is_bound and form.is_valid():
        subject = form.subject()
        context["preview"] = erase_subject(
            subject=subject, actor=admin_actor(request), dry_run=True
        )
    return TemplateResponse(request, "privacy/erase.html", context)
