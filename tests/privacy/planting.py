"""One resident planted in a council through the real front doors, as they would leave their
data: the widget's HTTP API (chat, pre-chat answers, attachment, rating, transcript email,
enquiry), the visitor and console websockets (messages, a note, tags, the end of the chat and
its system line), the assistant (a question it answered, feedback, a question it could not
answer), and Meta's webhook (a WhatsApp identity, its messages and a document it sent).

Every string the resident left contains one of `NEEDLES`, so a search of the whole schema,
the media folder and Redis for them finds every copy, wherever a future app puts it. The
helpers for that search are here too (`schema_traces`, `file_traces`, `redis_traces`).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from pathlib import Path
from uuid import UUID

import redis
from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context

from assistant.models import AssistantSettings
from chat.models import Tag
from councils.sites import CouncilRef
from social.hub.models import WebhookInbox
from social.inbound import inbox_process
from social.media import media_fetch
from social.models import SocialMedia
from tests.assistant.conftest import seed_assistant
from tests.attachments import files
from tests.social.helpers import ALPHA_PHONE, BETA_PHONE, post_webhook, whatsapp_message
from tests.sockets import (
    drain,
    login_session,
    next_of_type,
    open_socket,
    operator_socket,
    visitor_socket,
)

NAME = "Xanthippe Oddfellow"
EMAIL = "Xanthippe.Oddfellow@mailbox.test"
PHONE = "07700 900777"
WHATSAPP_ID = "447700900777"  # the same number, as WhatsApp names the resident
# Case-insensitive: what must not survive an erasure or retention anywhere. "zyxwv" is in
# every free text the resident typed (and the operator's replies and notes about them).
NEEDLES = ["xanthippe", "oddfellow", "zyxwv", "900777"]
# A letter whose text names the resident (a PDF string object), so the file search has
# something to find in the bytes as well as in names.
PARTNERSHIP_HOST = "wessex.localhost"  # Alpha and Beta's partnership (tests/conftest.py)
PDF = files.pdf(objects=("(Letter to Xanthippe Oddfellow, zyxwv-letter)",))


@dataclass
class Planted:
    council: CouncilRef
    marker: str  # in every text, so one council's copy is told from the other's
    web_chat: UUID | None = None
    partnership_chat: UUID | None = None
    assistant_chat: UUID | None = None
    whatsapp_chat: UUID | None = None
    enquiry: UUID | None = None
    attachment_name: str = ""
    document_name: str = ""
    texts: list[str] = field(default_factory=list)  # each must be in a subject access export

    @property
    def chats(self) -> list[UUID]:
        return [self.web_chat, self.partnership_chat, self.assistant_chat, self.whatsapp_chat]


def _host(council: CouncilRef) -> str:
    return council.hosts[0]


def _post(
    council: CouncilRef, path: str, body: dict, token: str | None = None, host: str = ""
) -> dict:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    response = Client(HTTP_HOST=host or _host(council)).post(
        path, data=json.dumps(body), content_type="application/json", **headers
    )
    assert response.status_code in (201, 204), (path, response.status_code, response.content)
    return response.json() if response.status_code == 201 else {}


def _upload(council: CouncilRef, chat: dict, name: str) -> None:
    response = Client(HTTP_HOST=_host(council)).post(
        f"/widget/conversations/{chat['conversation']}/attachments",
        {"file": SimpleUploadedFile(name, PDF, content_type="application/pdf")},
        HTTP_AUTHORIZATION=f"Bearer {chat['token']}",
    )
    assert response.status_code == 201, response.content


def _deliver(body: dict) -> None:
    assert post_webhook(body).status_code == 200
    for pk in WebhookInbox.objects.filter(processed_at__isnull=True).values_list("pk", flat=True):
        inbox_process(inbox_id=pk)


def _fetch_media(council: CouncilRef) -> None:
    with schema_context(council.schema_name):
        for media in SocialMedia.objects.filter(file=""):
            media_fetch(council=council, media_id=str(media.pk))


def _set_assistant(council: CouncilRef, mode: str) -> None:
    with schema_context(council.schema_name):
        AssistantSettings.objects.filter(pk=1).update(mode=mode)


async def _visitor(council: CouncilRef, chat: dict):
    comm = visitor_socket(chat["conversation"], chat["token"], host=_host(council))
    hello = await open_socket(comm)
    assert hello["type"] == "hello", hello
    return comm


async def plant_resident(council: CouncilRef, graph) -> Planted:
    """The resident's whole story at `council` (Alpha or Beta, connected to WhatsApp by the
    social fixture, with operator "duty" online). Every socket is closed at the end."""
    marker = f"zyxwv-{council.slug}"
    planted = Planted(council=council, marker=marker)
    post = sync_to_async(_post)
    await sync_to_async(seed_assistant)(council, mode="off")

    def tag_made() -> None:
        with schema_context(council.schema_name):
            Tag.objects.get_or_create(slug="complaint", defaults={"name": "Complaint"})

    await sync_to_async(tag_made)()

    # 1. A web chat through the widget: name, pre-chat answers, the page, the first message.
    first = f"My neighbour keeps my bins, {marker}-first"
    chat = await post(
        council,
        "/widget/conversations",
        {
            "name": NAME,
            "message": first,
            "page_url": f"https://www.council.example/bins?ref={marker}-page",
            "fields": {"email": EMAIL, "phone": PHONE, "reference": f"{marker}-prechat"},
        },
    )
    planted.web_chat = UUID(chat["conversation"])
    console = operator_socket(council, await login_session(council, "duty"))
    assert (await open_socket(console))["type"] == "hello"
    await console.send_json_to({"type": "accept", "conversation": chat["conversation"]})
    await next_of_type(console, "accepted")
    visitor = await _visitor(council, chat)
    said = f"My council tax reference is {marker}-visitor"
    # The client id is the device's own text: the planted one carries the marker too.
    await visitor.send_json_to({"type": "message", "client_id": f"{marker}-v1", "body": said})
    await next_of_type(visitor, "ack")
    reply = f"Thank you Xanthippe, {marker}-reply"
    await console.send_json_to(
        {"type": "message", "conversation": chat["conversation"], "client_id": "o-1", "body": reply}
    )
    await next_of_type(console, "ack")
    note = f"Ms Oddfellow sounded distressed, {marker}-note"
    await console.send_json_to(
        {"type": "note", "conversation": chat["conversation"], "client_id": "n-1", "body": note}
    )
    await next_of_type(console, "note")
    await console.send_json_to(
        {"type": "tags", "conversation": chat["conversation"], "tags": ["complaint"]}
    )
    await next_of_type(console, "tags")
    planted.attachment_name = f"{marker}-oddfellow-letter.pdf"
    await sync_to_async(_upload)(council, chat, planted.attachment_name)
    await visitor.send_json_to({"type": "end"})  # the system line names the resident
    await next_of_type(visitor, "status")
    await drain(visitor)
    await visitor.disconnect()
    await post(
        council,
        f"/widget/conversations/{chat['conversation']}/rating",
        {"rating": 2, "comment": f"Slow, {marker}-rating"},
        chat["token"],
    )
    await post(
        council,
        f"/widget/conversations/{chat['conversation']}/transcript",
        {"email": EMAIL},
        chat["token"],
    )
    planted.texts += [first, said, reply, note, f"{marker}-prechat", f"{marker}-page"]
    planted.texts += [f"{marker}-rating"]

    # 2. An out-of-hours enquiry.
    enquiry_text = f"Please call me about {marker}-enquiry"
    planted.enquiry = UUID(
        (
            await post(
                council,
                "/widget/enquiries",
                {"name": NAME, "email": EMAIL, "phone": PHONE, "message": enquiry_text},
            )
        )["enquiry"]
    )
    planted.texts.append(enquiry_text)
    handled = f"Called Ms Oddfellow back, {marker}-handled"
    await console.send_json_to(
        {"type": "handle", "kind": "enquiry", "id": str(planted.enquiry), "note": handled}
    )
    await next_of_type(console, "handled")
    planted.texts.append(handled)

    # 2b. A chat started on the partnership's site and routed here: its routing log (public
    # schema) keeps the page's path, which holds the marker; they leave before anyone answers.
    shared = await post(
        council,
        "/widget/conversations",
        {
            "name": NAME,
            "message": f"Who collects my bins, {marker}-partnership",
            "council": council.slug,
            "page_url": f"https://www.wessex.example/residents/{marker}-path/bins",
            "fields": {"email": EMAIL},
        },
        host=PARTNERSHIP_HOST,
    )
    planted.partnership_chat = UUID(shared["conversation"])
    await post(
        council,
        f"/widget/conversations/{shared['conversation']}/end",
        {"quick_exit": False},
        shared["token"],
        host=PARTNERSHIP_HOST,
    )
    planted.texts += [f"{marker}-partnership", f"{marker}-path"]

    # 3. The assistant: an answer they rate, then a question it cannot answer; they leave.
    await sync_to_async(_set_assistant)(council, "first")
    bot = await post(
        council,
        "/widget/conversations",
        {"name": NAME, "message": "pay a parking fine", "fields": {"email": EMAIL}},
    )
    planted.assistant_chat = UUID(bot["conversation"])
    assert bot["status"] == "bot", bot
    visitor = await _visitor(council, bot)
    await visitor.send_json_to({"type": "feedback", "seq": 2, "helpful": False})
    await next_of_type(visitor, "feedback")
    asked = f"Can Xanthippe pay later, {marker}-ask"
    await visitor.send_json_to({"type": "message", "client_id": "v-2", "body": asked})
    await next_of_type(visitor, "ack")
    await drain(visitor)
    await visitor.send_json_to({"type": "end"})
    await next_of_type(visitor, "status")
    await visitor.disconnect()
    await sync_to_async(_set_assistant)(council, "off")
    planted.texts.append(asked)

    # 4. WhatsApp: their number and profile name, a message, and a document they sent.
    phone_id = ALPHA_PHONE if council.slug == "alpha" else BETA_PHONE
    whatsapp_text = f"Bins again, {marker}-whatsapp"
    planted.document_name = f"{marker}-oddfellow-scan.pdf"
    media_id = f"9{council.id:05d}777"
    await sync_to_async(graph.media)(media_id, PDF, "application/pdf")
    deliver = sync_to_async(_deliver)
    await deliver(
        whatsapp_message(
            phone_id,
            wamid=f"wamid.{council.slug}-1",
            text=whatsapp_text,
            sender=WHATSAPP_ID,
            name=NAME,
        )
    )
    await deliver(
        whatsapp_message(
            phone_id,
            wamid=f"wamid.{council.slug}-2",
            sender=WHATSAPP_ID,
            name=NAME,
            kind="document",
            part={
                "id": media_id,
                "mime_type": "application/pdf",
                "filename": planted.document_name,
            },
        )
    )
    await sync_to_async(_fetch_media)(council)

    def whatsapp_chat() -> UUID:
        from chat.models import Conversation

        with schema_context(council.schema_name):
            return Conversation.objects.get(channel="whatsapp").id

    planted.whatsapp_chat = await sync_to_async(whatsapp_chat)()
    wa = str(planted.whatsapp_chat)
    await console.send_json_to({"type": "accept", "conversation": wa})
    await next_of_type(console, "accepted")
    answer = f"We will look, Ms Oddfellow, {marker}-whatsapp-reply"
    await console.send_json_to(
        {"type": "message", "conversation": wa, "client_id": "o-2", "body": answer}
    )
    await next_of_type(console, "ack")
    await console.send_json_to({"type": "end", "conversation": wa, "outcome": "resolved"})
    await next_of_type(console, "ended")
    await drain(console)
    await console.disconnect()
    planted.texts += [whatsapp_text, answer]
    connection.set_schema_to_public()
    return planted


# --- where the resident's data could be ------------------------------------------------------


def schema_traces(schema: str, needles: list[str] = NEEDLES) -> list[tuple[str, str, str]]:
    """(table, column, needle) for every text, varchar, char, json or jsonb column of every
    table in `schema` (read from information_schema, not a list) holding a needle."""
    found = []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.table_name, c.column_name, c.data_type FROM information_schema.columns AS c"
            " JOIN information_schema.tables AS t"
            "   ON t.table_schema = c.table_schema AND t.table_name = c.table_name"
            " WHERE c.table_schema = %s AND t.table_type = 'BASE TABLE' AND c.data_type IN"
            " ('text', 'character varying', 'character', 'json', 'jsonb', 'bytea')"
            " ORDER BY 1, 2",
            [schema],
        )
        for table, column, data_type in cursor.fetchall():
            text = (
                f"encode(\"{column}\", 'escape')" if data_type == "bytea" else f'"{column}"::text'
            )
            for needle in needles:
                cursor.execute(
                    # Names from information_schema, quoted; the needle is a parameter.
                    f'SELECT 1 FROM "{schema}"."{table}" WHERE {text} ILIKE %s LIMIT 1',  # noqa: S608
                    [f"%{needle}%"],
                )
                if cursor.fetchone():
                    found.append((table, column, needle))
    return found


def file_traces(schema: str, needles: list[str] = NEEDLES) -> list[tuple[str, str]]:
    """(path, needle) for every file under MEDIA_ROOT/private/<schema>/ whose path or bytes
    hold a needle."""
    folder = Path(settings.MEDIA_ROOT) / "private" / schema
    found = []
    for path in sorted(folder.rglob("*")) if folder.exists() else []:
        if not path.is_file():
            continue
        content = path.read_bytes().lower()
        for needle in needles:
            if needle in str(path.relative_to(folder)).lower() or needle.encode() in content:
                found.append((str(path.relative_to(folder)), needle))
    return found


def stored_files(schema: str) -> list[Path]:
    folder = Path(settings.MEDIA_ROOT) / "private" / schema
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def redis_traces(needles: list[str] = NEEDLES) -> list[tuple[str, str]]:
    """(key, needle) for every key of this test run's Redis database (cache, throttles,
    channel layer, Celery's queue) whose name or value holds a needle."""
    client = redis.Redis.from_url(settings.REDIS_URL)
    found = []
    for key in client.scan_iter(count=1000):
        kind = client.type(key).decode()
        if kind == "string":
            values = [client.get(key) or b""]
        elif kind == "list":
            values = client.lrange(key, 0, -1)
        elif kind == "set":
            values = list(client.smembers(key))
        elif kind == "zset":
            values = [member for member, _ in client.zrange(key, 0, -1, withscores=True)]
        elif kind == "hash":
            values = [b"%s=%s" % pair for pair in client.hgetall(key).items()]
        else:
            values = []
        values += [_kombu_body(value) for value in values]
        blob = (key + b" " + b" ".join(values)).lower()
        for needle in needles:
            if needle.encode() in blob:
                found.append((key.decode(errors="replace"), needle))
    return found


def _kombu_body(value: bytes) -> bytes:
    """A Celery message's base64 body, decoded (so task arguments are searched too)."""
    try:
        message = json.loads(value)
        if message.get("properties", {}).get("body_encoding") == "base64":
            return base64.b64decode(message["body"])
    except (ValueError, TypeError, AttributeError, KeyError):
        pass
    return b""
