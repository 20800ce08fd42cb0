"""Photos and PDFs sent from the widget and the console (issue 15, point 5): what is kept,
who may fetch it, and every bad file refused with a clear answer and nothing stored."""

from __future__ import annotations

import io
from urllib.parse import urlsplit

import pytest
from django.test import Client, override_settings
from django_tenants.utils import schema_context
from PIL import Image

from attachments.models import AttachmentSettings
from chat.actions.lifecycle import conversation_end
from chat.models import Message
from privacy.models import AuditEntry
from tests.attachments import files
from tests.attachments.helpers import (
    attachments_in,
    body_of,
    last_seq,
    logged_in,
    stored_files,
    widget_upload,
)
from tests.factories import accepted_chat_in, chat_in, operator_in

pytestmark = pytest.mark.usefixtures("staffed")


def _path_and_query(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def test_a_residents_photo_is_stored_without_its_location_as_a_message_of_the_chat(councils):
    chat = chat_in(councils.alpha)
    photo = files.photo_with_location()
    assert files.gps_of(photo)  # the phone's location is in the original

    response = widget_upload(chat, photo, "pothole.jpg")

    assert response.status_code == 201, response.content
    item = response.json()["attachment"]
    assert set(item) == {"id", "name", "size", "content_type", "url"}
    assert (item["name"], item["content_type"]) == ("pothole.jpg", "image/jpeg")
    assert item["url"].startswith(f"http://alpha.localhost/widget/attachments/{item['id']}?sig=")
    with schema_context(councils.alpha.schema_name):
        message = Message.objects.get(conversation_id=chat.id, seq=2)
    assert (message.author, message.body) == ("visitor", "pothole.jpg")
    assert message.extra["attachment"]["id"] == item["id"]
    served = Client(HTTP_HOST="alpha.localhost").get(_path_and_query(item["url"]))
    assert served.status_code == 200
    content = body_of(served)
    assert len(content) == item["size"]
    assert files.gps_of(content) == {}
    with Image.open(io.BytesIO(content)) as image:
        assert dict(image.getexif()) == {} and "comment" not in image.info
        assert image.size == (320, 240)


def test_the_served_file_has_a_strict_type_a_sandbox_and_a_safe_disposition(councils):
    chat = chat_in(councils.alpha)
    photo = widget_upload(chat, files.photo_with_location(), 'my "holiday".jpg').json()
    pdf = widget_upload(chat, files.pdf(), "letter.pdf", content_type="application/pdf").json()
    client = Client(HTTP_HOST="alpha.localhost")

    image = client.get(_path_and_query(photo["attachment"]["url"]))
    document = client.get(_path_and_query(pdf["attachment"]["url"]))

    assert photo["attachment"]["name"] == "my _holiday.jpg"
    assert image["Content-Type"] == "image/jpeg"
    assert image["Content-Disposition"].startswith("inline;")
    assert document["Content-Type"] == "application/pdf"
    assert document["Content-Disposition"] == 'attachment; filename="letter.pdf"'
    for response in (image, document):
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in response["Content-Security-Policy"]
        assert response["Content-Security-Policy"].startswith("default-src 'none'")


def test_the_name_takes_the_extension_of_what_the_file_really_is(councils):
    chat = chat_in(councils.alpha)
    response = widget_upload(chat, files.image_bytes("PNG"), "../../etc/passwd.pdf")
    assert response.status_code == 201
    assert response.json()["attachment"]["name"] == "passwd.png"
    assert response.json()["attachment"]["content_type"] == "image/png"


BAD_FILES = [
    ("an html page named .jpg", lambda: files.HTML_PAGE, "photo.jpg", 415, "unsupported_type"),
    ("an svg with a script", lambda: files.SVG_WITH_SCRIPT, "map.svg", 415, "unsupported_type"),
    ("an svg named .png", lambda: files.SVG_WITH_SCRIPT, "map.png", 415, "unsupported_type"),
    (
        "a photo with a zip after it",
        lambda: files.photo_with_location() + files.zip_bytes(),
        "pothole.jpg",
        415,
        "polyglot",
    ),
    (
        "a photo with a web page after it",
        lambda: files.photo_with_location() + files.HTML_PAGE,
        "pothole.jpg",
        415,
        "polyglot",
    ),
    (
        "a pdf with a zip after it",
        lambda: files.pdf() + files.zip_bytes(),
        "letter.pdf",
        415,
        "polyglot",
    ),
    ("a decompression bomb", files.decompression_bomb, "small.png", 413, "image_too_large"),
    (
        "a pdf that runs javascript",
        files.pdf_with_javascript,
        "letter.pdf",
        415,
        "pdf_active_content",
    ),
    (
        "a pdf with escaped javascript names",
        files.pdf_with_hidden_javascript,
        "letter.pdf",
        415,
        "pdf_active_content",
    ),
    (
        "a pdf with javascript inside a compressed object stream",
        files.pdf_with_javascript_in_an_object_stream,
        "letter.pdf",
        415,
        "pdf_active_content",
    ),
    (
        "a pdf with an embedded file",
        files.pdf_with_embedded_file,
        "letter.pdf",
        415,
        "pdf_active_content",
    ),
    ("a truncated photo", lambda: files.photo_with_location()[:300], "a.jpg", 400, "file_damaged"),
    ("an empty file", lambda: b"", "a.jpg", 400, "file_empty"),
]


@pytest.mark.parametrize(
    ("make", "name", "status", "code"),
    [case[1:] for case in BAD_FILES],
    ids=[case[0] for case in BAD_FILES],
)
def test_a_bad_file_is_refused_with_a_clear_message_and_nothing_is_stored(
    councils, make, name, status, code
):
    chat = chat_in(councils.alpha)
    before = last_seq(chat)

    response = widget_upload(chat, make(), name)

    assert response.status_code == status, response.content
    assert response.json()["error"] == code
    assert len(response.json()["detail"]) > 20
    assert attachments_in(councils.alpha) == []
    assert stored_files(councils.alpha) == []
    assert last_seq(chat) == before


def test_a_file_over_the_councils_limit_is_refused_as_too_large_and_nothing_is_stored(councils):
    with schema_context(councils.alpha.schema_name):
        AttachmentSettings.objects.update_or_create(pk=1, defaults={"max_size_mb": 1})
    chat = chat_in(councils.alpha)
    big = files.photo_with_location() + b"\0" * (1024 * 1024)

    response = widget_upload(chat, big, "big.jpg")

    assert response.status_code == 413
    assert response.json() == {
        "error": "file_too_large",
        "detail": "The file is too big. Files can be at most 1 MB.",
    }
    assert attachments_in(councils.alpha) == [] and stored_files(councils.alpha) == []


def test_a_council_that_accepts_no_files_refuses_them_and_its_widget_offers_none(councils):
    with schema_context(councils.alpha.schema_name):
        AttachmentSettings.objects.update_or_create(pk=1, defaults={"enabled": False})
    chat = chat_in(councils.alpha)

    response = widget_upload(chat, files.photo_with_location())
    config = Client(HTTP_HOST="alpha.localhost").get("/widget/config").json()

    assert response.status_code == 403
    assert response.json()["error"] == "attachments_disabled"
    assert config["council"]["attachments"] is None
    assert attachments_in(councils.alpha) == []


def test_the_widget_config_says_which_files_and_how_large(councils):
    config = Client(HTTP_HOST="alpha.localhost").get("/widget/config").json()
    assert config["council"]["attachments"] == {
        "max_bytes": 10 * 1024 * 1024,
        "types": ["image/gif", "image/jpeg", "image/png", "image/webp", "application/pdf"],
    }


def test_an_ended_chat_takes_no_file(councils):
    chat = chat_in(councils.alpha)
    with schema_context(councils.alpha.schema_name):
        conversation_end(council=councils.alpha, conversation_id=chat.id)

    response = widget_upload(chat, files.photo_with_location())

    assert response.status_code == 409
    assert response.json()["error"] == "conversation_closed"
    assert attachments_in(councils.alpha) == [] and stored_files(councils.alpha) == []


def test_an_upload_needs_the_chats_own_token(councils):
    chat = chat_in(councils.alpha)
    other = chat_in(councils.alpha)
    assert widget_upload(chat, files.photo_with_location(), token="").status_code == 401
    assert widget_upload(chat, files.photo_with_location(), token=other.token).status_code == 403
    assert attachments_in(councils.alpha) == []


def test_an_upload_without_a_file_field_is_a_clear_400(councils):
    chat = chat_in(councils.alpha)
    response = Client(HTTP_HOST="alpha.localhost").post(
        f"/widget/conversations/{chat.id}/attachments",
        {"photo": "nothing"},
        HTTP_AUTHORIZATION=f"Bearer {chat.token}",
    )
    assert response.status_code == 400
    assert response.json()["error"] == "file_missing"


def test_uploads_are_limited_per_visitor_like_the_other_widget_posts(councils, settings):
    settings.WIDGET_RATE_LIMITS = {**settings.WIDGET_RATE_LIMITS, "attachment": "2/600"}
    chat = chat_in(councils.alpha)
    codes = [widget_upload(chat, files.image_bytes("PNG")).status_code for _ in range(3)]
    assert codes == [201, 201, 429]
    assert len(attachments_in(councils.alpha)) == 2


def test_on_the_partnership_host_the_token_names_the_council(councils):
    chat = chat_in(councils.beta)

    response = widget_upload(
        chat, files.photo_with_location(), host="wessex.localhost", origin="https://www.beta.gov.uk"
    )

    assert response.status_code == 201, response.content
    item = response.json()["attachment"]
    assert item["url"].startswith("http://wessex.localhost/widget/attachments/")
    assert len(attachments_in(councils.beta)) == 1 and attachments_in(councils.alpha) == []
    served = Client(HTTP_HOST="wessex.localhost").get(_path_and_query(item["url"]))
    assert served.status_code == 200
    # The link is for Beta: on Alpha's own host it finds nothing.
    assert Client(HTTP_HOST="alpha.localhost").get(_path_and_query(item["url"])).status_code == 404


def test_a_link_that_was_changed_or_is_for_another_file_finds_nothing(councils):
    chat = chat_in(councils.alpha)
    first = widget_upload(chat, files.image_bytes("PNG")).json()["attachment"]
    second = widget_upload(chat, files.image_bytes("GIF")).json()["attachment"]
    client = Client(HTTP_HOST="alpha.localhost")
    sig = urlsplit(first["url"]).query
    assert client.get(f"/widget/attachments/{second['id']}?{sig}").status_code == 404
    assert client.get(f"/widget/attachments/{first['id']}?{sig}x").status_code == 404
    assert client.get(f"/widget/attachments/{first['id']}").status_code == 404


@override_settings(ATTACHMENT_LINK_MAX_AGE=-1)
def test_an_expired_link_finds_nothing(councils):
    chat = chat_in(councils.alpha)
    item = widget_upload(chat, files.image_bytes("PNG")).json()["attachment"]
    assert Client(HTTP_HOST="alpha.localhost").get(_path_and_query(item["url"])).status_code == 404


def test_the_councils_operators_fetch_it_by_session_and_each_view_is_audited(councils):
    operator_in(councils.alpha, "alex")
    chat = chat_in(councils.alpha)
    item = widget_upload(chat, files.photo_with_location()).json()["attachment"]
    console_url = f"/console/attachments/{item['id']}"

    response = logged_in(councils.alpha, "alex").get(console_url)

    assert response.status_code == 200
    assert files.gps_of(body_of(response)) == {}
    with schema_context(councils.alpha.schema_name):
        entry = AuditEntry.objects.get(action="attachment_viewed")
    assert (entry.actor_name, entry.object_type, entry.object_id) == (
        "alex",
        "attachment",
        item["id"],
    )


def test_another_councils_operator_and_anyone_signed_out_get_404(councils):
    operator_in(councils.beta, "alex", is_superuser=True)
    chat = chat_in(councils.alpha)
    item = widget_upload(chat, files.photo_with_location()).json()["attachment"]
    console_url = f"/console/attachments/{item['id']}"
    beta = logged_in(councils.beta, "alex")

    assert beta.get(console_url).status_code == 404
    stolen = Client(HTTP_HOST="alpha.localhost")
    stolen.cookies["sessionid"] = beta.cookies["sessionid"].value
    assert stolen.get(console_url).status_code == 404
    assert Client(HTTP_HOST="alpha.localhost").get(console_url).status_code == 404


def test_an_operator_sends_a_pdf_from_the_console_with_the_csrf_token(councils):
    alex = operator_in(councils.alpha, "alex")
    chat = accepted_chat_in(councils.alpha, alex)
    client = Client(HTTP_HOST="alpha.localhost", enforce_csrf_checks=True)
    client.cookies = logged_in(councils.alpha, "alex").cookies
    path = f"/console/conversations/{chat.id}/attachments"
    upload = {"file": io.BytesIO(files.pdf())}
    upload["file"].name = "form.pdf"

    refused = client.post(path, upload)
    client.get("/console/")
    upload["file"].seek(0)
    sent = client.post(path, upload, HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value)

    assert refused.status_code == 403
    assert sent.status_code == 201, sent.content
    item = sent.json()["attachment"]
    assert item["url"] == f"/console/attachments/{item['id']}"
    assert (item["name"], item["content_type"]) == ("form.pdf", "application/pdf")
    with schema_context(councils.alpha.schema_name):
        message = Message.objects.get(conversation_id=chat.id, extra__attachment__id=item["id"])
    assert (message.author, message.author_user_id) == ("operator", alex.id)


def test_an_operator_cannot_send_a_file_into_a_chat_that_is_not_theirs(councils):
    operator_in(councils.alpha, "alex")
    sam = operator_in(councils.alpha, "sam")
    chat = accepted_chat_in(councils.alpha, sam)
    client = logged_in(councils.alpha, "alex")
    upload = io.BytesIO(files.pdf())
    upload.name = "form.pdf"

    response = client.post(f"/console/conversations/{chat.id}/attachments", {"file": upload})

    assert response.status_code == 403
    assert response.json()["error"] == "not_assigned"
    assert attachments_in(councils.alpha) == [] and stored_files(councils.alpha) == []


def test_a_preflight_is_answered_for_an_allowed_site_and_other_methods_and_sites_are_refused(
    councils,
):
    chat = chat_in(councils.alpha)
    client = Client(HTTP_HOST="alpha.localhost")
    path = f"/widget/conversations/{chat.id}/attachments"

    preflight = client.options(path, HTTP_ORIGIN="https://www.alpha.gov.uk")
    wrong_method = client.get(path)
    wrong_site = widget_upload(chat, files.image_bytes("PNG"), origin="https://evil.example")

    assert preflight.status_code == 204
    assert preflight["Access-Control-Allow-Origin"] == "https://www.alpha.gov.uk"
    assert "Authorization" in preflight["Access-Control-Allow-Headers"]
    assert wrong_method.status_code == 405
    assert (wrong_site.status_code, wrong_site.json()["error"]) == (403, "origin_not_allowed")
    assert attachments_in(councils.alpha) == []


def test_a_request_announcing_a_body_over_the_limit_is_refused_before_it_is_read(councils):
    chat = chat_in(councils.alpha)
    response = Client(HTTP_HOST="alpha.localhost").generic(
        "POST",
        f"/widget/conversations/{chat.id}/attachments",
        b"",
        content_type="multipart/form-data; boundary=x",
        HTTP_AUTHORIZATION=f"Bearer {chat.token}",
        CONTENT_LENGTH=str(200 * 1024 * 1024),
    )
    assert (response.status_code, response.json()["error"]) == (413, "file_too_large")


def test_a_chat_with_the_assistant_takes_no_file_until_a_person_has_it(councils):
    from chat.models import Conversation

    chat = chat_in(councils.alpha)
    with schema_context(councils.alpha.schema_name):
        Conversation.objects.filter(pk=chat.id).update(status="bot")

    response = widget_upload(chat, files.image_bytes("PNG"))

    assert (response.status_code, response.json()["error"]) == (409, "attachments_unavailable")
    assert attachments_in(councils.alpha) == [] and stored_files(councils.alpha) == []


def test_the_console_upload_needs_a_signed_in_operator(councils):
    chat = chat_in(councils.alpha)
    upload = io.BytesIO(files.pdf())
    upload.name = "form.pdf"
    response = Client(HTTP_HOST="alpha.localhost").post(
        f"/console/conversations/{chat.id}/attachments", {"file": upload}
    )
    assert (response.status_code, response.json()["error"]) == (403, "not_signed_in")
