"""Staff sign-in: a council's sign-in rules and identity provider, accounts' sign-in state,
failed sign-ins, locks and sessions.

Every table exists in each council's schema (its operators and admins) and in public (the
partnership managers), so nothing here spans councils. See docs/security.md.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from councils.models import Council


class SignInSettings(models.Model):
    """How a council's staff sign in: one row per council schema (pk 1).

    A council without a row gets the defaults below (two-factor for admins from
    COUNCIL_ADMINS_TWO_FACTOR_DEFAULT). The public schema never has one: managers' rules
    come from the settings.
    """

    class Mode(models.TextChoices):
        PASSWORD = "password", "Passwords (with two-factor as set below) or single sign-on"
        SSO_REQUIRED = "sso_required", "Single sign-on only (passwords refused)"

    mode = models.CharField(max_length=20, choices=Mode.choices, default=Mode.PASSWORD)
    two_factor_for_admins = models.BooleanField(
        default=True,
        verbose_name="require two-factor of council admins",
        help_text="Admins who sign in with a password must use an authenticator app.",
    )
    two_factor_for_operators = models.BooleanField(
        default=False,
        verbose_name="require two-factor of operators",
        help_text="Operators who sign in with a password must use an authenticator app.",
    )
    idle_minutes = models.PositiveSmallIntegerField(
        default=30,
        validators=[MinValueValidator(5), MaxValueValidator(480)],
        verbose_name="idle timeout (minutes)",
        help_text="A session with no activity (pages or console) for this long ends.",
    )
    absolute_hours = models.PositiveSmallIntegerField(
        default=12,
        validators=[MinValueValidator(1), MaxValueValidator(24)],
        verbose_name="session lifetime (hours)",
        help_text="Every session ends this long after sign-in, active or not.",
    )

    sso_enabled = models.BooleanField(default=False, verbose_name="single sign-on on")
    provider_name = models.CharField(
        max_length=80,
        blank=True,
        help_text='Shown on the login page as "Sign in with <name>", e.g. Microsoft.',
    )
    issuer = models.URLField(
        blank=True,
        verbose_name="issuer URL",
        help_text=(
            "The OpenID Connect issuer, e.g. https://login.microsoftonline.com/<tenant id>/v2.0 "
            "(its /.well-known/openid-configuration is read)."
        ),
    )
    client_id = models.CharField(max_length=255, blank=True, verbose_name="client id")
    client_secret_encrypted = models.TextField(blank=True, editable=False)
    create_users = models.BooleanField(
        default=False,
        verbose_name="create accounts on first sign-in",
        help_text="Otherwise only people who already have an account here (same email) get in.",
    )
    roles_claim = models.CharField(
        max_length=100,
        default="groups",
        help_text="The ID-token claim listing the person's groups or roles.",
    )
    role_mapping = models.TextField(
        blank=True,
        help_text=(
            'One per line: "<group or role value> = Council admins" or "... = Operators". '
            "When set, roles follow the provider at every sign-in; people with no matching "
            "group are operators."
        ),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "sign-in settings"
        verbose_name_plural = "sign-in settings"

    def __str__(self) -> str:
        return "Sign-in settings"

    @classmethod
    def current(cls) -> SignInSettings:
        """The council's row, created with the defaults on first use (admin only)."""
        from django.conf import settings as django_settings

        return cls.objects.get_or_create(
            pk=1,
            defaults={"two_factor_for_admins": django_settings.COUNCIL_ADMINS_TWO_FACTOR_DEFAULT},
        )[0]

    @property
    def sso_ready(self) -> bool:
        return bool(
            self.sso_enabled and self.issuer and self.client_id and self.client_secret_encrypted
        )

    def parsed_role_mapping(self) -> dict[str, str]:
        from staffauth.roles import parse_role_mapping

        return parse_role_mapping(self.role_mapping)

    def clean(self) -> None:
        from staffauth.roles import parse_role_mapping

        errors = {}
        try:
            parse_role_mapping(self.role_mapping)
        except ValueError as exc:
            errors["role_mapping"] = str(exc)
        if self.sso_enabled and not (self.issuer and self.client_id and self.provider_name):
            errors["sso_enabled"] = "Enter the provider's name, issuer URL and client id first."
        if self.mode == self.Mode.SSO_REQUIRED and not self.sso_enabled:
            errors["mode"] = "Turn single sign-on on before requiring it."
        if errors:
            raise ValidationError(errors)


class StaffAccount(models.Model):
    """Sign-in state of one user: break-glass, and the identity-provider subject it is
    linked to (matched by subject after the first sign-in, so an email change is harmless)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_account"
    )
    break_glass = models.BooleanField(
        default=False,
        help_text=(
            "May sign in with a password while single sign-on is required. Set only by a "
            "partnership manager (manage.py break_glass_account)."
        ),
    )
    sso_issuer = models.CharField(max_length=300, blank=True)
    sso_subject = models.CharField(max_length=255, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["sso_issuer", "sso_subject"],
                condition=~models.Q(sso_subject=""),
                name="staff_account_sso_subject_unique",
            )
        ]

    def __str__(self) -> str:
        return f"Sign-in of {self.user_id}"


class LoginFailure(models.Model):
    """One failed sign-in (wrong password or code). Kept a day, for lockout counts only."""

    username = models.CharField(max_length=150, db_index=True)
    address = models.GenericIPAddressField(null=True, blank=True)
    at = models.DateTimeField(db_index=True)

    class Meta:
        indexes = [models.Index(fields=["address", "at"], name="login_failure_address_at")]

    def __str__(self) -> str:
        return f"Failed sign-in at {self.at:%Y-%m-%d %H:%M}"


class AccountLock(models.Model):
    """An account locked after too many failed sign-ins, until `locked_until` or an unlock."""

    username = models.CharField(max_length=150, unique=True)
    locked_at = models.DateTimeField()
    locked_until = models.DateTimeField()

    class Meta:
        ordering = ["-locked_at"]
        verbose_name = "locked account"

    def __str__(self) -> str:
        return self.username


class StaffSession(models.Model):
    """A signed-in session: when it started and was last used, for the council's idle and
    absolute limits, and so one person's sessions can all be ended (a lost laptop)."""

    class Via(models.TextChoices):
        PASSWORD = "password", "Password"
        TWO_FACTOR = "two_factor", "Password and two-factor"
        SSO = "sso", "Single sign-on"
        OTHER = "other", "Other"

    session_key = models.CharField(max_length=40, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_sessions"
    )
    via = models.CharField(max_length=20, choices=Via.choices, default=Via.OTHER)
    created_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Session of {self.user_id} since {self.created_at:%Y-%m-%d %H:%M}"


class CouncilSignIn(Council):
    """Councils as the partnership managers' admin lists them for staff sign-in: each
    council's SignInSettings row (in its schema) edited from the public admin."""

    class Meta:
        proxy = True
        verbose_name = "council's staff sign-in"
        verbose_name_plural = "councils' staff sign-in"
