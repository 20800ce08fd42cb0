from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo: seed data, the councils' pretend web pages and (later) simulators.

    Installed and routed only with DEMO=1 (config/settings.py); a real deployment has none of
    it: its council and partnership hosts answer 404 outside the product's own paths.
    """

    name = "demo"
    verbose_name = "Demo"
