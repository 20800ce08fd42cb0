"""The outbox in the council admin: read-only, with counts and a retry for failed sends.

No payload is shown (it holds a resident's address): only what a send is, what it is about
(the chat or enquiry id staff can already open), its state, attempts and the error's class.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin, messages

from config.admin_sites import ReadOnlyAdmin, council_admin_site
from outbox.models import OutboxItem
from outbox.selectors import FAILED, PENDING, SENT, outbox_counts
from outbox.services import outbox_retry


class StateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"
    STATES = {"pending": PENDING, "failed": FAILED, "sent": SENT}

    def lookups(self, request, model_admin):
        return [("pending", "Pending"), ("failed", "Failed (given up)"), ("sent", "Sent")]

    def queryset(self, request, queryset):
        state = self.STATES.get(self.value() or "")
        return queryset.filter(state) if state is not None else queryset


@admin.register(OutboxItem, site=council_admin_site)
class OutboxItemAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "kind",
        "ref",
        "state",
        "attempts",
        "last_attempt_at",
        "sent_at",
        "last_error",
    ]
    list_filter = [StateFilter, "kind"]
    fields = [
        "kind",
        "ref",
        "created_at",
        "attempts",
        "last_attempt_at",
        "last_error",
        "sent_at",
        "given_up_at",
    ]
    readonly_fields = fields
    actions = ["retry"]
    change_list_template = "admin/outbox/outboxitem/change_list.html"

    @admin.display(description="state")
    def state(self, item: OutboxItem) -> str:
        if item.sent_at:
            return "sent"
        return "failed" if item.given_up_at else "pending"

    @admin.action(description="Retry the selected failed sends", permissions=["view"])
    def retry(self, request, queryset):
        retried = outbox_retry(item_ids=list(queryset.values_list("id", flat=True)))
        if retried:
            self.message_user(request, f"{retried} failed send(s) will be tried again now.")
        else:
            self.message_user(request, "Only failed sends can be retried.", messages.WARNING)

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "outbox_counts": outbox_counts(),
            "keep_days": settings.OUTBOX_KEEP_SENT_DAYS,
        }
        return super().changelist_view(request, extra_context=extra_context)
