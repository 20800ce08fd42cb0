"""Chats, in each council's schema: visitors, conversations and their messages."""

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone


class Visitor(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=100)
    email = models.EmailField(blank=True, db_index=True)
    # Not auto_now_add: a chat moved to another council keeps its original times.
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    def __str__(self) -> str:
        return self.name


class Conversation(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        ACTIVE = "active", "Active"
        ENDED = "ended", "Ended"
        MISSED = "missed", "Missed (needs follow-up)"
        # The council's automated assistant has the chat (no operator needed).
        BOT = "bot", "With the assistant"

    class Channel(models.TextChoices):
        WEB = "web", "Web chat"
        MESSENGER = "messenger", "Facebook Messenger"
        WHATSAPP = "whatsapp", "WhatsApp"

    class Language(models.TextChoices):
        ENGLISH = "en", "English"
        WELSH = "cy", "Welsh"

    class EndedBy(models.TextChoices):
        VISITOR = "visitor", "Visitor"
        OPERATOR = "operator", "Operator"
        SYSTEM = "system", "System (idle, missed or quick exit)"

    class Outcome(models.TextChoices):
        RESOLVED = "resolved", "Resolved"
        REFERRED = "referred", "Referred to another team"
        FOLLOW_UP = "follow_up", "Needs a follow-up"
        NO_REPLY = "no_reply", "Visitor stopped replying"
        OTHER = "other", "Other"
        # Recorded by the system, never chosen by an operator (OPERATOR_OUTCOMES).
        ENDED_BY_VISITOR = "ended_by_visitor", "Ended by the resident"
        QUICK_EXIT = "quick_exit", "Resident used quick exit"
        TIMED_OUT = "timed_out", "Closed after no messages"
        ABANDONED = "abandoned", "Abandoned (resident gone)"

    class VisitorPresence(models.TextChoices):
        OPEN = "open", "Page open"
        HIDDEN = "hidden", "Page hidden"
        GONE = "gone", "Gone"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    visitor = models.ForeignKey(Visitor, on_delete=models.PROTECT, related_name="conversations")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    # Where the resident wrote from: the web widget or a social channel (social/).
    channel = models.CharField(
        max_length=10, choices=Channel.choices, default=Channel.WEB, db_default=Channel.WEB
    )
    department = models.ForeignKey(
        "routing.Department", null=True, blank=True, on_delete=models.SET_NULL
    )
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="conversations",
    )
    page_url = models.URLField(max_length=2000, blank=True)
    prechat = models.JSONField(default=dict, blank=True, help_text="Pre-chat form answers.")
    language = models.CharField(max_length=2, choices=Language.choices, default=Language.ENGLISH)
    # Why the chat came to this council and department: {"rule", "kind", "label"}.
    routed_by = models.JSONField(default=dict, blank=True)
    # Queue order: higher priority first (a requeued chat goes to the front), then oldest.
    priority = models.SmallIntegerField(default=0)
    queued_at = models.DateTimeField(default=timezone.now)
    first_response_at = models.DateTimeField(null=True, blank=True)
    # The highest seq handed out; incremented under the row lock, so seqs have no gaps.
    last_seq = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    accepted_at = models.DateTimeField(null=True, blank=True)
    # The resident's experience, for reports: set once, never moved by a transfer or a requeue
    # (which move `accepted_at`, `first_response_at` and `queued_at`, the current operator's
    # times that the unanswered sweep reads). When an operator first took the chat, when that
    # wait in the queue had begun, and the first operator reply of the whole chat.
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_queued_at = models.DateTimeField(null=True, blank=True)
    first_reply_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    last_message_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.CharField(max_length=10, choices=EndedBy.choices, blank=True)
    # Wrap-up: what the operator recorded when the chat ended.
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)
    # The resident's presence (their widget's sockets and page visibility, issue 15): empty
    # until a widget connects, and for chats on channels without one (social).
    visitor_presence = models.CharField(
        max_length=10, choices=VisitorPresence.choices, blank=True, default="", db_default=""
    )
    visitor_presence_at = models.DateTimeField(null=True, blank=True)
    # Read receipts: the highest seq the visitor's widget has shown them.
    visitor_read_seq = models.PositiveIntegerField(default=0)
    # The visitor's verdict at the end (1 to 5) and what they wrote.
    rating = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    rating_comment = models.TextField(blank=True)
    # Where a transcript was sent, if the visitor asked for one.
    transcript_email = models.EmailField(blank=True)
    transcript_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [
            models.Index(fields=["status", "created_at"]),
            models.Index(
                fields=["status", "-priority", "queued_at"], name="conversation_queue_idx"
            ),
            models.Index(fields=["operator", "status"], name="conversation_operator_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.visitor} ({self.get_status_display()})"


# The wrap-ups an operator may choose when ending a chat; the rest are recorded by the system.
OPERATOR_OUTCOMES = ("resolved", "referred", "follow_up", "no_reply", "other")


class VisitorSocket(models.Model):
    """One open widget websocket of a resident, and what their page said of itself.

    The chat's `visitor_presence` is derived from these rows (any visible page: open; else
    any hidden: hidden; none: gone). Rows whose server stopped beating are swept.
    """

    class State(models.TextChoices):
        VISIBLE = "visible", "Visible"
        HIDDEN = "hidden", "Hidden"

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="visitor_sockets"
    )
    channel_name = models.CharField(max_length=200, unique=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.VISIBLE)
    beat_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return f"{self.conversation_id} ({self.state})"


class Message(models.Model):
    class Author(models.TextChoices):
        VISITOR = "visitor", "Visitor"
        OPERATOR = "operator", "Operator"
        BOT = "bot", "Bot"
        SYSTEM = "system", "System"

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    seq = models.PositiveIntegerField()
    author = models.CharField(max_length=10, choices=Author.choices)
    author_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    author_name = models.CharField(max_length=150)
    body = models.TextField()
    # Chosen by the client so a re-sent message is recognised; NULL for system messages.
    client_id = models.CharField(max_length=64, null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # What a kind of message carries beyond its text (an assistant answer's key, links and
    # suggestions; a social message's provider id; an attachment). Part of the wire payload.
    extra = models.JSONField(default=dict, blank=True, db_default={})
    # A system message's line and its values (chat/system_messages.py): rendered in the chat's
    # language for the resident, in English for staff; `body` keeps the English rendering.
    # Empty for every other message.
    code = models.CharField(max_length=40, blank=True, default="", db_default="")
    params = models.JSONField(default=dict, blank=True, db_default={})

    class Meta:
        ordering = ["conversation", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["conversation", "seq"], name="message_seq_unique"),
            models.UniqueConstraint(
                fields=["conversation", "client_id"], name="message_client_id_unique"
            ),
        ]
        indexes = [
            # Which chats the assistant answered (reports' "assistant" channel): a small index
            # of the bot's messages only (docs/reports.md, bench/reports_bench.py).
            models.Index(
                fields=["conversation"], condition=models.Q(author="bot"), name="message_bot_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.conversation_id}#{self.seq}"


class ConversationTransfer(models.Model):
    """A chat that moved between councils, kept in both: no transcript stays behind."""

    class Direction(models.TextChoices):
        OUT = "out", "Sent to another council"
        IN = "in", "Received from another council"

    conversation_id = models.UUIDField(db_index=True)
    direction = models.CharField(max_length=3, choices=Direction.choices)
    other_council_id = models.PositiveIntegerField()
    other_council_name = models.CharField(max_length=200)
    by_operator_name = models.CharField(max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        arrow = "→" if self.direction == self.Direction.OUT else "←"
        return f"{self.conversation_id} {arrow} {self.other_council_name}"


class Note(models.Model):
    """An operator's internal note on a conversation: never sent to the visitor."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="notes")
    author_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    author_name = models.CharField(max_length=150)
    body = models.TextField()
    # Chosen by the console so a note re-sent after a reconnect is stored once.
    client_id = models.CharField(max_length=64, null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["conversation", "created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "client_id"], name="note_client_id_unique"
            )
        ]

    def __str__(self) -> str:
        return f"Note by {self.author_name}"


class CannedResponse(models.Model):
    """A ready-made reply, inserted in the console by typing /shortcut.

    A reply is written in one language; the console offers those in the chat's language
    first, so one shortcut can have an English and a Welsh reply (issue 15)."""

    class Language(models.TextChoices):
        ENGLISH = "en", "English"
        WELSH = "cy", "Welsh"

    title = models.CharField(max_length=120)
    shortcut = models.SlugField(max_length=40, help_text="Typed after / in the console.")
    body = models.TextField()
    language = models.CharField(
        max_length=2,
        choices=Language.choices,
        default=Language.ENGLISH,
        help_text="The language the reply is written in: chats in that language list it first.",
    )
    department = models.ForeignKey(
        "routing.Department",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="canned_responses",
        help_text="Empty: offered in every department's chats.",
    )

    class Meta:
        ordering = ["shortcut"]
        constraints = [
            models.UniqueConstraint(
                fields=["shortcut", "department", "language"],
                name="canned_shortcut_per_department_language",
                nulls_distinct=False,
            )
        ]

    def __str__(self) -> str:
        return f"/{self.shortcut}"


class Enquiry(models.Model):
    """Contact details left while chat was closed, for the council to follow up."""

    class Reason(models.TextChoices):
        CLOSED = "closed", "Outside opening hours"
        NO_OPERATOR = "no_operator_online", "Nobody online"
        QUEUE_FULL = "queue_full", "Queue full"
        MISSED = "missed", "Chat missed (left after no one answered)"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=100)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=30, blank=True)
    message = models.TextField()
    department = models.ForeignKey(
        "routing.Department", null=True, blank=True, on_delete=models.SET_NULL
    )
    page_url = models.URLField(max_length=2000, blank=True)
    language = models.CharField(
        max_length=2, choices=Conversation.Language.choices, default=Conversation.Language.ENGLISH
    )
    prechat = models.JSONField(default=dict, blank=True)
    reason = models.CharField(max_length=20, choices=Reason.choices, default=Reason.CLOSED)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    emailed_at = models.DateTimeField(null=True, blank=True)
    handled_at = models.DateTimeField(null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    handled_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "enquiries"

    def __str__(self) -> str:
        return f"{self.name} ({self.created_at:%d %b %Y %H:%M})"


# ---- Tags on conversations (issue 15, point 8) -------------------------------------------


class Tag(models.Model):
    """A council's own label for chats ("Complaint", "Blue badge"), defined by its admins and
    put on conversations by operators in the console. Not personal data: a tag says what a
    chat was about, and its links go with the conversation when that is deleted or erased."""

    name = models.CharField(max_length=60, unique=True)
    slug = models.SlugField(
        max_length=60, unique=True, help_text="Used by the console; keep it when renaming."
    )
    position = models.PositiveSmallIntegerField(default=0, help_text="Lower comes first.")
    conversations = models.ManyToManyField(Conversation, blank=True, related_name="tags")

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name
