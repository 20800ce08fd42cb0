"""The public schema: councils (the tenants), their hosts, and partnerships of councils."""

from django.core.exceptions import ValidationError
from django.db import models
from django_tenants.models import DomainMixin, TenantMixin


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
    name_cy = models.CharField(
        "Welsh name",
        max_length=200,
        blank=True,
        help_text=(
            "The council's name in Welsh (e.g. Cyngor Sir Dorset), shown to residents chatting "
            "in Welsh; leave blank to show the English name."
        ),
    )
    slug = models.SlugField(unique=True)
    partnership = models.ForeignKey(
        Partnership, null=True, blank=True, on_delete=models.SET_NULL, related_name="councils"
    )
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

    def name_in(self, language: str | None) -> str:
        """The name a resident reads in `language`: the Welsh name in a Welsh chat when
        there is one, otherwise the English."""
        return self.name_cy if language == "cy" and self.name_cy.strip() else self.name

    @staticmethod
    def schema_name_for(slug: str) -> str:
        return "council_" + slug.replace("-", "_")


class Domain(DomainMixin):
    """A host serving one council (its chat widget, console and admin)."""

    def clean(self) -> None:
        self.domain = self.domain.strip().lower()
        if Partnership.objects.filter(domain=self.domain).exists():
            raise ValidationError({"domain": "This host already belongs to a partnership."})


class PartnershipService(models.Model):
    """A topic residents ask a partnership about (Highways, Waste and recycling)."""

    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="services")
    slug = models.SlugField()
    name = models.CharField(max_length=120)
    name_cy = models.CharField(
        "Welsh name",
        max_length=120,
        blank=True,
        help_text="Shown to residents using the chat in Welsh; blank: the English name.",
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["partnership", "slug"], name="service_slug_unique")
        ]

    def __str__(self) -> str:
        return self.name


class PostcodeDistrict(models.Model):
    """Which member council serves a postcode district (the outward code, e.g. DT1)."""

    partnership = models.ForeignKey(
        Partnership, on_delete=models.CASCADE, related_name="postcode_districts"
    )
    outward_code = models.CharField(max_length=4, help_text="e.g. DT1, BH23")
    council = models.ForeignKey(Council, on_delete=models.CASCADE, related_name="+")
    is_demo_data = models.BooleanField(
        default=False, help_text="Seeded by the demo, not an authoritative boundary."
    )

    class Meta:
        ordering = ["outward_code"]
        constraints = [
            models.UniqueConstraint(
                fields=["partnership", "outward_code"], name="postcode_district_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.outward_code} → {self.council}"

    def save(self, *args, **kwargs) -> None:
        self.outward_code = self.outward_code.strip().upper()
        super().save(*args, **kwargs)


class RoutingRule(models.Model):
    """One step of a partnership's ordered routing: the first rule that matches decides."""

    class Kind(models.TextChoices):
        PICKED_COUNCIL = "picked_council", "The council the visitor picked"
        PAGE = "page", "The page the chat started on"
        SERVICE = "service", "The service asked about"
        SERVICE_POSTCODE = "service_postcode", "The service asked about, then the postcode"
        FALLBACK = "fallback", "Fallback"

    class Match(models.TextChoices):
        PREFIX = "prefix", "URL path starts with"
        REGEX = "regex", "URL path matches the regular expression"

    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="rules")
    position = models.PositiveIntegerField(default=0, help_text="Rules run from low to high.")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    label = models.CharField(max_length=200, blank=True, help_text="Shown to explain a decision.")
    page_pattern = models.CharField(
        max_length=300, blank=True, help_text="For page rules: a path prefix or pattern."
    )
    page_match = models.CharField(max_length=10, choices=Match.choices, default=Match.PREFIX)
    service = models.ForeignKey(
        PartnershipService, null=True, blank=True, on_delete=models.CASCADE, related_name="rules"
    )
    council = models.ForeignKey(
        Council,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="Where the chat goes (page, service and fallback rules).",
    )
    department_slug = models.SlugField(
        blank=True, help_text="Optional: the department in that council."
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["partnership", "position", "id"]

    def __str__(self) -> str:
        return self.label or f"{self.get_kind_display()} #{self.pk}"

    def clean(self) -> None:
        import re

        errors = {}
        needs_council = {self.Kind.PAGE, self.Kind.SERVICE, self.Kind.FALLBACK}
        if self.kind in needs_council and not self.council_id:
            errors["council"] = "This kind of rule needs the council it sends chats to."
        if self.kind == self.Kind.PAGE and not self.page_pattern:
            errors["page_pattern"] = "Enter the path (or pattern) of the pages."
        if self.kind == self.Kind.PAGE and self.page_match == self.Match.REGEX:
            try:
                re.compile(self.page_pattern)
            except re.error as exc:
                errors["page_pattern"] = f"Not a valid pattern: {exc}."
        if self.kind in {self.Kind.SERVICE, self.Kind.SERVICE_POSTCODE} and not self.service_id:
            errors["service"] = "Choose the service this rule is about."
        if (
            self.council_id
            and self.partnership_id
            and self.council.partnership_id != (self.partnership_id)
        ):
            errors["council"] = "That council is not a member of this partnership."
        if errors:
            raise ValidationError(errors)


class RoutingDecision(models.Model):
    """Why a partnership chat went where it went: for managers, with no personal data.

    Only the postcode district is kept, never the full postcode or anything the visitor wrote.
    """

    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="+")
    council = models.ForeignKey(Council, on_delete=models.CASCADE, related_name="+")
    conversation_id = models.UUIDField(db_index=True)
    rule = models.ForeignKey(RoutingRule, null=True, on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(max_length=20)
    label = models.CharField(max_length=300)
    service_slug = models.SlugField(blank=True)
    postcode_district = models.CharField(max_length=4, blank=True)
    page_path = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.conversation_id} → {self.council_id}: {self.label}"
