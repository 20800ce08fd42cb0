"""A council's teams (departments) and the pages whose chat button leads to each."""

from django.conf import settings
from django.db import models


class Department(models.Model):
    name = models.CharField(max_length=120)
    slug = models.SlugField(unique=True)
    position = models.PositiveSmallIntegerField(default=0, help_text="Order in the widget's list.")
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="departments"
    )

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class ServicePage(models.Model):
    """A page on the council's site whose chat button goes straight to one department."""

    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="pages")
    title = models.CharField(max_length=200)
    path = models.CharField(
        max_length=300, unique=True, help_text="Path on the council's site, e.g. /parking/pay."
    )

    class Meta:
        ordering = ["department__position", "title"]

    def __str__(self) -> str:
        return self.title
