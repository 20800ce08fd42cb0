"""Forget cached host answers when councils, hosts or partnerships change."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from councils.models import Council, Domain, Partnership
from councils.sites import clear_site_cache


@receiver([post_save, post_delete], sender=Council)
@receiver([post_save, post_delete], sender=Domain)
@receiver([post_save, post_delete], sender=Partnership)
def _forget_hosts(**_kwargs) -> None:
    clear_site_cache()
