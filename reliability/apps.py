from django.apps import AppConfig


class ReliabilityConfig(AppConfig):
    name = "reliability"
    verbose_name = "Reliability"

    def ready(self) -> None:
        from django.core.signals import request_finished

        from reliability import durability  # noqa: F401  (registers the deploy check)
        from reliability.capacity import close_request_connections

        request_finished.connect(close_request_connections, dispatch_uid="reliability-close")
