"""Read-only chat history for council admins; chats change only through the console."""

from django.contrib import admin
from django.http import Http404

from chat.models import Conversation, Message
from config.admin_sites import council_admin_site


class MessageInline(admin.TabularInline):
    model = Message
    fields = ["seq", "author", "author_name", "body", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ["seq"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Conversation, site=council_admin_site)
class ConversationAdmin(admin.ModelAdmin):
    list_display = ["visitor", "status", "department", "operator", "created_at", "ended_at"]
    list_filter = ["status", "department", "operator"]
    search_fields = ["visitor__name", "messages__body"]
    readonly_fields = [
        "id",
        "visitor",
        "status",
        "department",
        "operator",
        "page_url",
        "prechat",
        "last_seq",
        "created_at",
        "accepted_at",
        "ended_at",
        "last_message_at",
    ]
    inlines = [MessageInline]
    date_hierarchy = "created_at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        # A chat that is not in this council (never was, or moved to another council) is a
        # plain 404, not a redirect with a message naming the id.
        raise Http404("No such conversation.")
