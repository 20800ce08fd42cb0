"""The council's assistant: its settings, its knowledge, and what it did.

Every table lives in the council's schema: one council's knowledge can never answer at
another (tested in tests/assistant/test_isolation.py).
"""

from __future__ import annotations

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

LANGUAGES = [("en", "English"), ("cy", "Welsh")]

DEFAULT_NAME = "Council assistant"
DEFAULT_NAME_CY = "Cynorthwyydd y cyngor"
DEFAULT_GREETING = "Hello! I can answer common questions about council services."
DEFAULT_GREETING_CY = "Helo! Gallaf ateb cwestiynau cyffredin am wasanaethau'r cyngor."
DEFAULT_DISCLOSURE = "I'm an automated assistant. You can ask for a person at any time."
DEFAULT_DISCLOSURE_CY = (
    "Cynorthwyydd awtomatig ydw i. Gallwch ofyn am gael siarad â pherson unrhyw bryd."
)
DEFAULT_EMERGENCY = (
    "If you or someone else is in immediate danger, call 999 now. "
    "If a child or adult may be at risk of harm, call the council's safeguarding team on "
    "01305 221000 (out of hours 01305 858250). If you are thinking about suicide or "
    "self-harm, you can call Samaritans free on 116 123 at any time."
)
DEFAULT_EMERGENCY_CY = (
    "Os ydych chi neu rywun arall mewn perygl uniongyrchol, ffoniwch 999 nawr. "
    "Os gallai plentyn neu oedolyn fod mewn perygl o niwed, ffoniwch dîm diogelu'r cyngor ar "
    "01305 221000 (y tu allan i oriau 01305 858250). Os ydych chi'n meddwl am hunanladdiad "
    "neu hunan-niweidio, gallwch ffonio'r Samariaid am ddim ar 116 123 unrhyw bryd."
)


class AssistantSettings(models.Model):
    """The council's assistant: one row per council schema (pk 1)."""

    class Mode(models.TextChoices):
        OFF = "off", "Off"
        OUT_OF_HOURS = "out_of_hours", "Out of hours (takes chats that would find chat offline)"
        FIRST = "first", "First (takes every new chat first)"

    mode = models.CharField(max_length=20, choices=Mode.choices, default=Mode.OFF)
    name = models.CharField(max_length=60, default=DEFAULT_NAME)
    name_cy = models.CharField("name (Welsh)", max_length=60, default=DEFAULT_NAME_CY)
    greeting = models.TextField(default=DEFAULT_GREETING)
    greeting_cy = models.TextField("greeting (Welsh)", default=DEFAULT_GREETING_CY)
    disclosure = models.TextField(
        default=DEFAULT_DISCLOSURE,
        help_text="Shown with every assistant chat: residents must know it is automated.",
    )
    disclosure_cy = models.TextField("disclosure (Welsh)", default=DEFAULT_DISCLOSURE_CY)
    emergency_message = models.TextField(
        default=DEFAULT_EMERGENCY,
        help_text="Sent instead of any answer when a message mentions danger to life or "
        "safeguarding. Include 999 and your safeguarding numbers.",
    )
    emergency_message_cy = models.TextField(
        "emergency message (Welsh)", default=DEFAULT_EMERGENCY_CY
    )
    extra_safety_triggers = models.TextField(
        blank=True,
        help_text="More words or phrases (one a line, English or Welsh) that always get the "
        "emergency message. The built-in list is always used as well.",
    )
    threshold = models.FloatField(
        default=0.59,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text="The confidence an answer needs (0 to 1). Below it the assistant says it "
        "is not sure and offers a person. Calibrated in docs/assistant.md.",
    )

    class Meta:
        verbose_name = verbose_name_plural = "assistant settings"

    def __str__(self) -> str:
        return "Assistant settings"

    @classmethod
    def current(cls) -> AssistantSettings:
        return cls.objects.get_or_create(pk=1)[0]

    def text(self, field: str, language: str) -> str:
        """A council text in the chat's language, English when the Welsh is blank."""
        welsh = getattr(self, f"{field}_cy", "") if language == "cy" else ""
        return welsh.strip() or getattr(self, field)


class KnowledgeEntry(models.Model):
    """One published answer, word for word, with the ways residents ask for it."""

    key = models.SlugField(max_length=100, help_text="Stable name, kept across imports.")
    language = models.CharField(max_length=2, choices=LANGUAGES, default="en")
    answer = models.TextField(help_text="Plain text, sent exactly as written.")
    links = models.JSONField(
        default=list, blank=True, help_text='[{"url": "https://…", "text": "…"}]'
    )
    department = models.ForeignKey(
        "routing.Department",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        help_text="The team a handoff from this answer goes to.",
    )
    enabled = models.BooleanField(default=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["language", "key"]
        verbose_name_plural = "knowledge entries"
        constraints = [
            models.UniqueConstraint(fields=["key", "language"], name="knowledge_key_language")
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.language})"


class Phrasing(models.Model):
    """A way of asking for an entry; `search` is its precomputed full-text vector.

    `expanded` is the text after the council's synonyms are applied, and `search` is
    `to_tsvector(english|simple, unaccent(expanded))`, kept by `assistant.index` whenever
    phrasings or synonyms change (a generated column cannot call `unaccent`, which is not
    IMMUTABLE).
    """

    entry = models.ForeignKey(KnowledgeEntry, on_delete=models.CASCADE, related_name="phrasings")
    text = models.CharField(max_length=300)
    language = models.CharField(max_length=2, choices=LANGUAGES, default="en")
    expanded = models.TextField(blank=True, editable=False)
    search = SearchVectorField(null=True, editable=False)
    weight = models.FloatField(default=0, editable=False)

    class Meta:
        ordering = ["id"]
        indexes = [
            GinIndex(fields=["search"], name="phrasing_search_gin"),
        ]

    def __str__(self) -> str:
        return self.text


class Term(models.Model):
    """A lexeme of the council's knowledge with its weight (how rare it is across entries).

    Rebuilt with the index. Misspelt words are corrected to the nearest term by pg_trgm
    similarity (GIN trigram index).
    """

    language = models.CharField(max_length=2, choices=LANGUAGES)
    lexeme = models.CharField(max_length=100)
    weight = models.FloatField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["language", "lexeme"], name="term_language_lexeme")
        ]
        indexes = [
            GinIndex(fields=["lexeme"], name="term_lexeme_trgm", opclasses=["gin_trgm_ops"]),
        ]

    def __str__(self) -> str:
        return f"{self.lexeme} ({self.language})"


class Synonym(models.Model):
    """Words residents use for the same thing; every one is read as the first."""

    language = models.CharField(max_length=2, choices=LANGUAGES, default="en")
    terms = models.CharField(
        max_length=500,
        help_text="Comma-separated, the council's own word first: "
        "“parking fine, pcn, parking ticket, penalty charge notice”.",
    )

    class Meta:
        ordering = ["language", "id"]

    def __str__(self) -> str:
        return self.terms

    def term_list(self) -> list[str]:
        return [t.strip().lower() for t in self.terms.split(",") if t.strip()]


class Turn(models.Model):
    """What the assistant did with one visitor message (for reports and feedback)."""

    class Kind(models.TextChoices):
        ANSWER = "answer", "Answered"
        NOT_SURE = "not_sure", "Not sure"
        SAFETY = "safety", "Safety message"
        HANDOFF = "handoff", "Handed to a person"
        OFFLINE = "offline", "Asked for a person, nobody available"

    conversation = models.ForeignKey(
        "chat.Conversation", on_delete=models.CASCADE, related_name="assistant_turns"
    )
    seq = models.PositiveIntegerField(null=True, blank=True, help_text="The bot message's seq.")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    question = models.TextField(blank=True)
    language = models.CharField(max_length=2, choices=LANGUAGES, default="en")
    answer_key = models.CharField(max_length=100, blank=True)
    score = models.FloatField(null=True, blank=True)
    helpful = models.BooleanField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["kind", "created_at"], name="turn_kind_created")]
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "seq"],
                condition=models.Q(seq__isnull=False),
                name="turn_conversation_seq",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.answer_key}".strip()
