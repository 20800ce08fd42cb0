"""Forget this process's cached widget configs when a council changes what they show.

Other processes catch up within `WIDGET_CONFIG_CACHE_SECONDS`. Operator presence and console
sockets are not watched: they change on every heartbeat, and availability may lag by those
seconds.
"""

from django.db.models.signals import post_delete, post_save

from widgets.selectors import clear_widget_config_cache

WATCHED_APPS = {"widgets", "routing", "assistant", "attachments"}
IGNORED_MODELS = {"operatorpresence", "consolesocket"}


def _forget_configs(sender, **_kwargs) -> None:
    meta = getattr(sender, "_meta", None)
    if meta and meta.app_label in WATCHED_APPS and meta.model_name not in IGNORED_MODELS:
        clear_widget_config_cache()


post_save.connect(_forget_configs, dispatch_uid="widgets.forget_configs.save")
post_delete.connect(_forget_configs, dispatch_uid="widgets.forget_configs.delete")
