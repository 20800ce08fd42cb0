from django.apps import AppConfig


class CouncilsConfig(AppConfig):
    name = "councils"
    verbose_name = "Councils and partnerships"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from councils import signals  # noqa: F401  (connects cache invalidation)
        from councils.lanes import install_chat_lane

        install_chat_lane()
