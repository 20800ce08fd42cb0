from django.apps import AppConfig


class SocialConfig(AppConfig):
    """Facebook Messenger and WhatsApp in the console (each council's schema)."""

    name = "social"
    verbose_name = "Social channels"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # chat/ never imports social/: operators' replies in social chats and the console's
        # summaries reach this app through chat.channel_hooks.
        from social import outbound

        outbound.register_hooks()
