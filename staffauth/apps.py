from django.apps import AppConfig


class StaffauthConfig(AppConfig):
    name = "staffauth"
    verbose_name = "Staff sign-in"

    def ready(self) -> None:
        from staffauth import signals  # noqa: F401  (connects the receivers)
