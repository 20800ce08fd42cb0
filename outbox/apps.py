from django.apps import AppConfig


class OutboxConfig(AppConfig):
    name = "outbox"
    verbose_name = "Outbox (emails and other outbound sends)"
    default_auto_field = "django.db.models.BigAutoField"
