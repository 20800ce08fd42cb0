from django.apps import AppConfig


class SocialHubConfig(AppConfig):
    """The public-schema half of social/: the id index and the webhook inbox."""

    name = "social.hub"
    label = "social_hub"
    verbose_name = "Social channels (all councils)"
    default_auto_field = "django.db.models.BigAutoField"
