"""Forget cached host answers when councils, hosts or partnerships change."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from councils.models import (
    Council,
    Domain,
    Partnership,
    PartnershipService,
    PostcodeDistrict,
    RoutingRule,
)
from councils.partnership_routing import clear_rules_cache
from councils.sites import clear_site_cache


@receiver([post_save, post_delete], sender=Council)
@receiver([post_save, post_delete], sender=Domain)
@receiver([post_save, post_delete], sender=Partnership)
def _forget_hosts(**_kwargs) -> None:
    clear_site_cache()


@receiver([post_save, post_delete], sender=RoutingRule)
@receiver([post_save, post_delete], sender=PartnershipService)
@receiver([post_save, post_delete], sender=PostcodeDistrict)
def _forget_rules(**_kwargs) -> None:
    clear_rules_cache()
