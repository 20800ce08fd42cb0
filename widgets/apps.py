from django.apps import AppConfig


class WidgetsConfig(AppConfig):
    name = "widgets"
    verbose_name = "Visitor widget"

    def ready(self) -> None:
        from widgets import signals  # noqa: F401  (connects config cache invalidation)
