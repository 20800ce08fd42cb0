"""The public schema: councils (the tenants), their hosts, and partnerships of councils."""

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django_tenants.models import DomainMixin, TenantMixin

hex_colour = RegexValidator(r"^#[0-9a-fA-F]{6}$", "Enter a colour as #RRGGBB.")


class Partnership(models.Model):
    """Councils that share one website (e.g. Dorsetforyou) and so one chat entry point."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(unique=True)
    domain = models.CharField(
        max_length=253,
        unique=True,
        help_text="The partnership website's host, e.g. dorsetforyou.gov.uk.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        self.domain = self.domain.strip().lower()
        if Domain.objects.filter(domain=self.domain).exists():
            raise ValidationError({"domain": "This host already belongs to a council."})


class Council(TenantMixin):
    """A council: one PostgreSQL schema holding its users, departments and chats."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(unique=True)
    partnership = models.ForeignKey(
        Partnership, null=True, blank=True, on_delete=models.SET_NULL, related_name="councils"
    )
    brand_colour = models.CharField(max_length=7, default="#1d4f91", validators=[hex_colour])
    logo_url = models.URLField(blank=True)
    allowed_origins = models.TextField(
        blank=True,
        help_text=(
            "Websites allowed to embed this council's chat, one per line: a host "
            "(www.example.gov.uk) or a full origin (https://www.example.gov.uk). The council's "
            "own hosts and its partnership's host are always allowed."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    auto_create_schema = True
    auto_drop_schema = False

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @staticmethod
    def schema_name_for(slug: str) -> str:
        return "council_" + slug.replace("-", "_")


class Domain(DomainMixin):
    """A host serving one council (its chat widget, console and admin)."""

    def clean(self) -> None:
        self.domain = self.domain.strip().lower()
        if Partnership.objects.filter(domain=self.domain).exists():
            raise ValidationError({"domain": "This host already belongs to a partnership."})
