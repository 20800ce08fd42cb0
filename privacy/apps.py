from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "privacy"
    verbose_name = "Data protection"

    def ready(self) -> None:
        # Every installed app may hold personal data: each says what and how to remove it in
        # its own `privacy.py`, which registers with privacy.registry (docs/data-protection.md).
        from privacy.registry import autodiscover

        autodiscover()
