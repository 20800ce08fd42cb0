"""The council admin's page for what may be sent in chats (one per council)."""

from django.contrib import admin

from attachments.models import AttachmentSettings
from config.admin_sites import SingletonAdmin, council_admin_site


@admin.register(AttachmentSettings, site=council_admin_site)
class AttachmentSettingsAdmin(SingletonAdmin):
    fieldsets = [
        (
            "Photos and documents in chats",
            {
                "fields": ["enabled", "allow_images", "allow_pdf", "max_size_mb"],
                "description": (
                    "What residents (and operators) may send. Files are checked by their "
                    "content, photos are re-encoded without their location and camera details, "
                    "and PDFs with scripts or embedded files are refused."
                ),
            },
        )
    ]
