"""One shared base for the per-council settings models (RoutingSettings, WidgetSettings).

Each council's schema holds exactly one row (pk 1); `current()` creates it with the
defaults on first use. Not django-solo: its optional cache and admin templates add nothing
here (the widget's own per-process cache is widgets/selectors.py), and this is all it takes.
"""

from __future__ import annotations

from typing import Self

from django.db import models

SINGLETON_PK = 1


class SingletonModel(models.Model):
    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        self.pk = SINGLETON_PK  # a second row would never be read: refuse to make one
        super().save(*args, **kwargs)

    @classmethod
    def current(cls) -> Self:
        """This council's row (created with the defaults on first use)."""
        return cls.objects.get_or_create(pk=SINGLETON_PK)[0]
