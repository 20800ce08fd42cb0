"""Chat history for council admins (read-only; chats change only through the console), the
canned responses and the enquiries left out of hours.

Operators may open this history too, limited to chats they handled (see the "Operators"
group in councils/onboarding.py). Everything a visitor wrote reaches the page through Django
templates, which escape it.
"""

from django.contrib import admin
from django.db.models import Count
from django.http import Http404
from django.utils.html import format_html, format_html_join

from chat.labels import prechat_answers, routing_rows
from chat.models import CannedResponse, Conversation, Enquiry, Tag
from config.admin_sites import council_admin_site
from privacy import admin_hooks as privacy


def readable_table(rows, caption: str) -> str:
    """(label, value) rows as a small table (escaped), or "-" when there are none."""
    rows = list(rows)
    if not rows:
        return "-"
    body = format_html_join(
        "", '<tr><th scope="row">{}</th><td>{}</td></tr>', ((k, v) for k, v in rows)
    )
    return format_html(
        '<table class="readable"><caption class="visually-hidden">{}</caption>{}</table>',
        caption,
        body,
    )


def prechat_table(prechat) -> str:
    from widgets.models import PrechatField

    answers = prechat_answers(prechat, PrechatField.objects.all())
    return readable_table(((a["label"], a["value"]) for a in answers), "Pre-chat answers")


def _sees_every_chat(request) -> bool:
    return request.user.is_superuser or request.user.has_perm("chat.view_message")


@admin.register(Conversation, site=council_admin_site)
class ConversationAdmin(admin.ModelAdmin):
    list_display = [
        "visitor",
        "status",
        "channel",
        "department",
        "operator",
        "outcome",
        "rating",
        "tag_names",
        "created_at",
        "ended_at",
    ]
    list_filter = ["status", "channel", "department", "outcome", "tags", "operator", "created_at"]
    list_select_related = ["visitor", "department", "operator"]
    search_fields = ["visitor__name", "visitor__email", "messages__body"]
    search_help_text = "Search the visitor's name or email and the words of every message."
    date_hierarchy = "created_at"
    change_form_template = "admin/chat/conversation/transcript.html"
    # Legal holds and erasure (privacy/); opening and searching are audited.
    actions = [privacy.place_legal_hold, privacy.release_legal_hold, privacy.erase_resident]
    fieldsets = [
        (
            None,
            {"fields": ["visitor", "visitor_email", "status", "channel", "department", "operator"]},
        ),
        (
            "How it went",
            {"fields": ["outcome", "tag_names", "ended_by", "rating", "rating_comment"]},
        ),
        (
            "Details",
            {
                "fields": [
                    "id",
                    "page_url",
                    "language",
                    "prechat_answers",
                    "routing_decision",
                    "created_at",
                    "accepted_at",
                    "first_response_at",
                    "ended_at",
                    "transcript_email",
                    "transcript_sent_at",
                ]
            },
        ),
    ]

    def get_readonly_fields(self, request, obj=None):
        return [f for fieldset in self.fieldsets for f in fieldset[1]["fields"]]

    @admin.display(description="pre-chat answers")
    def prechat_answers(self, obj) -> str:
        return prechat_table(obj.prechat)

    @admin.display(description="routing decision")
    def routing_decision(self, obj) -> str:
        return readable_table(routing_rows(obj.routed_by), "Routing decision")

    @admin.display(description="tags")
    def tag_names(self, obj) -> str:
        return ", ".join(tag.name for tag in obj.tags.all()) or "-"

    @admin.display(description="visitor's email")
    def visitor_email(self, obj) -> str:
        return obj.visitor.email or "-"

    def get_queryset(self, request):
        queryset = super().get_queryset(request).prefetch_related("tags")
        if _sees_every_chat(request):
            return queryset
        return queryset.filter(operator_id=request.user.pk)  # an operator's own chats

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_hold_permission(self, request) -> bool:
        return privacy.has_hold_permission(request)

    def has_erase_permission(self, request) -> bool:
        return privacy.has_erase_permission(request)

    def changelist_view(self, request, extra_context=None):
        privacy.audit_search(request, "conversation")
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        conversation = self.get_object(request, object_id)
        extra = dict(extra_context or {})
        if conversation is not None:
            privacy.audit_opened(request, "conversation", conversation.pk)
            extra["transcript"] = list(
                conversation.messages.order_by("seq").values(
                    "seq", "author", "author_name", "body", "created_at"
                )
            )
            extra["notes"] = list(
                conversation.notes.order_by("created_at").values(
                    "author_name", "body", "created_at"
                )
            )
        return super().change_view(request, object_id, form_url, extra)

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        # A chat that is not in this council (never was, or moved to another council), or
        # not this operator's, is a plain 404, not a redirect with a message naming the id.
        raise Http404("No such conversation.")


@admin.register(CannedResponse, site=council_admin_site)
class CannedResponseAdmin(admin.ModelAdmin):
    list_display = ["shortcut", "title", "language", "department"]
    list_filter = ["language", "department"]
    search_fields = ["shortcut", "title", "body"]


@admin.register(Tag, site=council_admin_site)
class TagAdmin(admin.ModelAdmin):
    """The council's tags for chats (issue 15, point 8); operators put them on chats in the
    console. Renaming a tag renames it on every chat that has it."""

    list_display = ["name", "slug", "position", "chat_count"]
    list_editable = ["position"]
    fields = ["name", "slug", "position"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(chat_total=Count("conversations"))

    @admin.display(description="chats", ordering="chat_total")
    def chat_count(self, obj) -> int:
        return obj.chat_total


@admin.register(Enquiry, site=council_admin_site)
class EnquiryAdmin(admin.ModelAdmin):
    """Contact details left while chat was closed; staff record how they followed up."""

    list_display = ["name", "email", "phone", "department", "reason", "created_at", "handled_at"]
    list_filter = ["reason", "department", ("handled_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "email", "phone", "message"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "name",
        "email",
        "phone",
        "message",
        "department",
        "page_url",
        "language",
        "prechat_answers",
        "reason",
        "created_at",
        "emailed_at",
    ]
    fields = [*readonly_fields, "handled_at", "handled_by", "handled_note"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.display(description="pre-chat answers")
    def prechat_answers(self, obj) -> str:
        return prechat_table(obj.prechat)

    def changelist_view(self, request, extra_context=None):
        privacy.audit_search(request, "enquiry")
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method == "GET" and self.get_object(request, object_id) is not None:
            privacy.audit_opened(request, "enquiry", object_id)
        return super().change_view(request, object_id, form_url, extra_context)
