"""A council's teams, their hours, its operators' presence and its routing settings."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Count, Exists, OuterRef, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from config.singleton import SingletonModel


class Department(models.Model):
    name = models.CharField(max_length=120)
    slug = models.SlugField(unique=True)
    position = models.PositiveSmallIntegerField(default=0, help_text="Order in the widget's list.")
    name_cy = models.CharField(max_length=120, blank=True, verbose_name="name (Welsh)")
    email = models.EmailField(blank=True, help_text="Where enquiries left out of hours are sent.")
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="departments",
        help_text="Operators who take this department's chats. None: every operator does.",
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


class OpeningHours(models.Model):
    """One span of a department's week; a span that closes before it opens ends next day."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, "Monday"
        TUESDAY = 1, "Tuesday"
        WEDNESDAY = 2, "Wednesday"
        THURSDAY = 3, "Thursday"
        FRIDAY = 4, "Friday"
        SATURDAY = 5, "Saturday"
        SUNDAY = 6, "Sunday"

    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="hours")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    opens = models.TimeField()
    closes = models.TimeField()

    class Meta:
        ordering = ["department", "weekday", "opens"]
        verbose_name_plural = "opening hours"

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M} to {self.closes:%H:%M}"


class Closure(models.Model):
    """A day the council (or one department) takes no chats, e.g. staff training."""

    date = models.DateField()
    reason = models.CharField(max_length=200, blank=True)
    department = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="closures",
        help_text="Empty: the whole council is closed.",
    )

    class Meta:
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date:%d %b %Y}: {self.reason or 'closed'}"


class RoutingSettings(SingletonModel):
    """The council's routing choices: one row per council schema (pk 1)."""

    class Strategy(models.TextChoices):
        LEAST_BUSY = "least_busy", "Least busy operator"
        ROUND_ROBIN = "round_robin", "Round robin"
        MANUAL = "manual", "Manual pick only"

    class Nation(models.TextChoices):
        # Subdivision codes of the `holidays` package's United Kingdom calendar.
        ENGLAND = "ENG", "England"
        WALES = "WLS", "Wales"
        SCOTLAND = "SCT", "Scotland"
        NORTHERN_IRELAND = "NIR", "Northern Ireland"
        NONE = "", "None: open on bank holidays"

    class WelshPolicy(models.TextChoices):
        WAIT = "wait", "Wait for a Welsh-speaking operator"
        FALLBACK = "fallback", "Prefer one, else any operator"

    assignment_strategy = models.CharField(
        max_length=20, choices=Strategy.choices, default=Strategy.LEAST_BUSY
    )
    max_chats_per_operator = models.PositiveSmallIntegerField(
        default=3, validators=[MinValueValidator(1), MaxValueValidator(20)]
    )
    queue_cap = models.PositiveIntegerField(
        null=True, blank=True, help_text="Most chats waiting at once; empty for no limit."
    )
    missed_after_seconds = models.PositiveIntegerField(
        default=600, help_text="A chat waiting this long is marked missed for follow-up."
    )
    unanswered_after_seconds = models.PositiveIntegerField(
        default=120,
        help_text="An accepted chat with no operator reply after this long goes back to the queue.",
    )
    welsh_policy = models.CharField(
        max_length=10, choices=WelshPolicy.choices, default=WelshPolicy.FALLBACK
    )
    abandoned_after_seconds = models.PositiveIntegerField(
        default=300,
        validators=[MinValueValidator(30)],
        help_text="A chat whose resident has closed the page this long ends as abandoned.",
    )
    bank_holidays = models.CharField(
        max_length=3,
        blank=True,
        choices=Nation.choices,
        default=Nation.ENGLAND,
        help_text="Whose bank holidays close chat.",
    )

    class Meta:
        verbose_name = verbose_name_plural = "routing settings"

    def __str__(self) -> str:
        return "Routing settings"


def socket_live_since(now: datetime | None = None) -> datetime:
    """A console socket whose server has not beaten since this is dead (its process hung or
    was killed without running its cleanup): three heartbeats."""
    return (now or timezone.now()) - timedelta(seconds=3 * settings.OPERATOR_HEARTBEAT_SECONDS)


def has_live_console(now: datetime | None = None) -> Exists:
    """For an OperatorPresence queryset: the operator has an open console socket now."""
    return Exists(
        ConsoleSocket.objects.filter(
            user_id=OuterRef("user_id"), beat_at__gte=socket_live_since(now)
        )
    )


class OperatorPresenceQuerySet(models.QuerySet):
    def available(self, now: datetime | None = None) -> OperatorPresenceQuerySet:
        """Operators who can be given a chat now: online, with a live console socket (never
        an operator who logged out, closed the console or went silent: issue 15), and still
        active staff. The one definition: assignment, the queue estimate, the widget's
        availability and the console all use it, so they cannot disagree."""
        return self.filter(
            has_live_console(now),
            status=OperatorPresence.Status.ONLINE,
            user__is_active=True,
            user__is_staff=True,
        )

    def with_active_count(self) -> OperatorPresenceQuerySet:
        """Annotate `active`: how many active chats each operator holds."""
        return self.annotate(
            active=Count("user__conversations", filter=Q(user__conversations__status="active"))
        )

    def with_room(self, default_max_chats: int) -> OperatorPresenceQuerySet:
        """Those below their chat limit (their own, else the council's `default_max_chats`)."""
        return self.with_active_count().filter(active__lt=Coalesce("max_chats", default_max_chats))


class OperatorPresence(models.Model):
    """An operator's availability, load limit and skills."""

    class Status(models.TextChoices):
        ONLINE = "online", "Online"
        AWAY = "away", "Away"
        OFFLINE = "offline", "Offline"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="presence"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OFFLINE)
    # Touched by the console socket's heartbeat; stale means the console has gone.
    last_seen = models.DateTimeField(null=True, blank=True)
    last_assigned_at = models.DateTimeField(null=True, blank=True)
    max_chats = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(20)],
        help_text="Overrides the council's limit for this operator.",
    )
    speaks_welsh = models.BooleanField(default=False)
    # What residents see (chat.payloads.operator_display_name); blank: the first name.
    display_name = models.CharField(
        max_length=60,
        blank=True,
        help_text="The name residents see in chats. Leave blank to show the first name only.",
    )

    objects = OperatorPresenceQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "operator presence"
        # The supervisor's live view (/console/supervisor/): council admins hold every
        # routing permission (councils.onboarding.ADMIN_APPS); others can be given it.
        permissions = [("supervise", "Can use the supervisor view")]

    def __str__(self) -> str:
        return f"{self.user} ({self.status})"


class ConsoleSocket(models.Model):
    """One open console websocket of an operator (chat.consumers.OperatorConsumer).

    Written when the socket opens, beaten by its server while it lives, deleted when it
    closes, goes silent, or its session signs out. An operator with none is never assigned
    a chat; rows whose server stopped beating (a killed process) are swept.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="console_sockets"
    )
    channel_name = models.CharField(max_length=200, unique=True)
    session_key = models.CharField(max_length=40, blank=True, db_index=True)
    opened_at = models.DateTimeField(default=timezone.now)
    beat_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return f"{self.user} ({self.channel_name})"
