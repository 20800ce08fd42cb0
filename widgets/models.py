"""How a council's chat window looks and behaves, in the council's own schema."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models

from config.singleton import SingletonModel
from widgets.contrast import MIN_CONTRAST, contrast_ratio

# The pre-chat form's short lawful-basis text, until a council words its own (UK GDPR
# Article 6(1)(e), public task, is what most councils rely on for answering enquiries).
LAWFUL_BASIS = (
    "We use what you tell us to answer your enquiry, as part of our public task. "
    "Our privacy notice says how long we keep it and what your rights are."
)
LAWFUL_BASIS_CY = (
    "Rydym yn defnyddio'r hyn a ddywedwch wrthym i ateb eich ymholiad, fel rhan o'n tasg "
    "gyhoeddus. Mae ein hysbysiad preifatrwydd yn dweud am ba hyd rydym yn ei gadw a beth "
    "yw eich hawliau."
)

hex_colour = RegexValidator(r"^#[0-9a-fA-F]{6}$", "Enter a colour as #RRGGBB, e.g. #1d4f91.")


class WidgetSettings(SingletonModel):
    """The council's branding and widget behaviour: one row per council schema (pk 1)."""

    class Position(models.TextChoices):
        RIGHT = "right", "Bottom right"
        LEFT = "left", "Bottom left"

    class Language(models.TextChoices):
        ENGLISH = "en", "English"
        WELSH = "cy", "Welsh (Cymraeg)"

    class OfflineMode(models.TextChoices):
        HOURS = "hours", "Show opening hours and when chat opens next"
        CONTACT = "contact", "Collect contact details for a follow-up"
        LINKS = "links", "Show useful links"

    # Branding
    logo_url = models.URLField(blank=True, help_text="Square image, shown at 32 px.")
    brand_colour = models.CharField(
        max_length=7,
        default="#1d4f91",
        validators=[hex_colour],
        help_text="Launcher, header and buttons.",
    )
    text_colour = models.CharField(
        max_length=7,
        default="#ffffff",
        validators=[hex_colour],
        help_text="Text on the brand colour; must contrast with it (WCAG AA, 4.5:1).",
    )
    greeting = models.CharField(max_length=300, default="Hello. How can we help you today?")
    greeting_cy = models.CharField(max_length=300, blank=True, verbose_name="greeting (Welsh)")
    launcher_text = models.CharField(max_length=40, default="Chat with us")
    launcher_text_cy = models.CharField(
        max_length=40, blank=True, verbose_name="launcher text (Welsh)"
    )
    launcher_position = models.CharField(
        max_length=5, choices=Position.choices, default=Position.RIGHT
    )

    # Languages
    offer_welsh = models.BooleanField(
        default=False, help_text="Visitors may switch the chat to Welsh (Cymraeg)."
    )
    default_language = models.CharField(
        max_length=2, choices=Language.choices, default=Language.ENGLISH
    )

    # Pre-chat and privacy
    privacy_notice_url = models.URLField(
        blank=True, help_text="Linked from the consent question and the pre-chat form."
    )
    privacy_notice_url_cy = models.URLField(
        blank=True,
        verbose_name="privacy notice URL (Welsh)",
        help_text="The Welsh-language notice; empty: the English one is linked.",
    )
    lawful_basis = models.CharField(
        max_length=400,
        blank=True,
        default=LAWFUL_BASIS,
        help_text="Shown above the start button: why the council may use what residents type.",
    )
    lawful_basis_cy = models.CharField(
        max_length=400, blank=True, default=LAWFUL_BASIS_CY, verbose_name="lawful basis (Welsh)"
    )

    # Out of hours
    offline_mode = models.CharField(
        max_length=10, choices=OfflineMode.choices, default=OfflineMode.HOURS
    )
    offline_message = models.CharField(
        max_length=500, default="Sorry, there is nobody available to chat right now."
    )
    offline_message_cy = models.CharField(
        max_length=500, blank=True, verbose_name="offline message (Welsh)"
    )

    # Sensitive services
    quick_exit_enabled = models.BooleanField(
        default=False,
        help_text="Show an 'Exit this page' button (one click or Shift three times).",
    )
    quick_exit_url = models.URLField(default="https://www.bbc.co.uk/weather")

    # End of chat
    transcript_enabled = models.BooleanField(
        default=True, help_text="Visitors may ask for a transcript by email."
    )
    rating_enabled = models.BooleanField(default=True, help_text="Ask for a rating at the end.")

    class Meta:
        verbose_name = verbose_name_plural = "widget settings"

    def __str__(self) -> str:
        return "Widget settings"

    def clean(self) -> None:
        super().clean()
        try:
            ratio = contrast_ratio(self.brand_colour, self.text_colour)
        except ValueError:
            return  # the field validators report the malformed colour
        if ratio < MIN_CONTRAST:
            raise ValidationError(
                {
                    "text_colour": (
                        f"Text colour {self.text_colour} on brand colour {self.brand_colour} "
                        f"has a contrast of {ratio:.2f}:1; WCAG AA needs at least "
                        f"{MIN_CONTRAST}:1. Choose a darker or lighter colour."
                    )
                }
            )
        if self.default_language == self.Language.WELSH and not self.offer_welsh:
            raise ValidationError({"default_language": "Offer Welsh to make it the default."})


class PrechatField(models.Model):
    """A question on the council's pre-chat form (the name and question boxes are built in)."""

    class Kind(models.TextChoices):
        TEXT = "text", "Text"
        EMAIL = "email", "Email address"
        PHONE = "phone", "Phone number"
        POSTCODE = "postcode", "UK postcode"
        CHOICE = "choice", "Choice from a list"
        CONSENT = "consent", "Consent checkbox"

    key = models.SlugField(
        max_length=40, unique=True, help_text="Name stored with the answers, e.g. account_ref."
    )
    label = models.CharField(max_length=200)
    label_cy = models.CharField(max_length=200, blank=True, verbose_name="label (Welsh)")
    help_text = models.CharField(max_length=300, blank=True)
    help_text_cy = models.CharField(max_length=300, blank=True, verbose_name="help text (Welsh)")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.TEXT)
    required = models.BooleanField(default=False)
    choices = models.TextField(
        blank=True,
        help_text="For a choice: one option per line; add a Welsh label after ' | '.",
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = "pre-chat field"

    def __str__(self) -> str:
        return self.label

    def clean(self) -> None:
        super().clean()
        if self.kind == self.Kind.CHOICE and not self.choices.strip():
            raise ValidationError({"choices": "A choice field needs at least one option."})
        if self.kind != self.Kind.CHOICE and self.choices.strip():
            raise ValidationError({"choices": "Only a choice field has options."})


class OfflineLink(models.Model):
    """A useful link shown when chat is closed (offline mode "links")."""

    title = models.CharField(max_length=200)
    title_cy = models.CharField(max_length=200, blank=True, verbose_name="title (Welsh)")
    url = models.URLField()
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.title
