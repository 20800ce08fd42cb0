from django.apps import AppConfig


class AttachmentsConfig(AppConfig):
    name = "attachments"
    verbose_name = "Chat attachments"
    default_auto_field = "django.db.models.BigAutoField"
