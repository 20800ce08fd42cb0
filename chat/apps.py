from django.apps import AppConfig


class ChatConfig(AppConfig):
    name = "chat"
    verbose_name = "Chats"
    default_auto_field = "django.db.models.BigAutoField"
