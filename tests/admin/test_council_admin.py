"""The council's Django admin: what council admins manage and what operators may see."""

from __future__ import annotations

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from chat.models import Conversation, Note, Visitor
from routing.models import Department
from tests.admin.factories import admin_client, council_admin, operator
from tests.factories import accepted_chat_in, chat_in, operator_in
from widgets.models import WidgetSettings

pytestmark = pytest.mark.usefixtures("committed")

SCRIPT = "<script>alert(1)</script>"


def widget_form(**overrides) -> dict:
    fields = {
        "brand_colour": "#1d4f91",
        "text_colour": "#ffffff",
        "logo_url": "",
        "launcher_text": "Chat with us",
        "launcher_text_cy": "",
        "launcher_position": "right",
        "greeting": "Hello. How can we help you today?",
        "greeting_cy": "",
        "default_language": "en",
        "privacy_notice_url": "",
        "offline_mode": "hours",
        "offline_message": "Sorry, nobody is free.",
        "offline_message_cy": "",
        "quick_exit_url": "https://www.bbc.co.uk/weather",
        "transcript_enabled": "on",
        "rating_enabled": "on",
    }
    return {**fields, **overrides}


def test_given_a_text_colour_without_contrast_then_the_field_says_why_and_nothing_is_saved(
    councils,
):
    council_admin(councils.alpha)
    client = admin_client(councils.alpha, "chief")
    assert client.get("/admin/widgets/widgetsettings/").status_code == 302  # to the only row

    response = client.post(
        "/admin/widgets/widgetsettings/1/change/",
        widget_form(brand_colour="#ffff00", text_colour="#ffffff"),
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "text_colour" in errors
    assert "WCAG AA needs at least 4.5:1" in errors["text_colour"][0]
    with schema_context(councils.alpha.schema_name):
        assert WidgetSettings.current().brand_colour == "#1d4f91"


def test_given_saved_branding_then_the_preview_shows_it_escaped(councils):
    council_admin(councils.alpha)
    client = admin_client(councils.alpha, "chief")
    assert client.get("/admin/widgets/widgetsettings/").status_code == 302  # to the only row

    saved = client.post(
        "/admin/widgets/widgetsettings/1/change/",
        widget_form(brand_colour="#00594f", launcher_text=SCRIPT[:40]),
    )
    assert saved.status_code == 302
    page = client.get("/admin/widgets/widgetsettings/1/change/").content.decode()

    assert 'data-testid="branding-preview"' in page
    assert "background-color: #00594f; color: #ffffff;" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert SCRIPT not in page


def test_the_history_searches_names_emails_and_message_text_and_filters_by_outcome(councils):
    alpha = councils.alpha
    council_admin(alpha)
    duty = operator(alpha, "duty")
    chat_in(alpha, name="Jo Bloggs", message="My bin was not collected")
    ended = accepted_chat_in(alpha, duty, name="Ann Other", message="Parking permit renewal")
    with schema_context(alpha.schema_name):
        Visitor.objects.filter(name="Ann Other").update(email="ann@example.com")
        Conversation.objects.filter(id=ended.id).update(
            status="ended", outcome="resolved", ended_at=timezone.now()
        )
    client = admin_client(alpha, "chief")

    def names(query: str) -> list[str]:
        response = client.get(f"/admin/chat/conversation/?{query}")
        assert response.status_code == 200
        return sorted(str(c.visitor) for c in response.context["cl"].result_list)

    assert names("q=bloggs") == ["Jo Bloggs"]
    assert names("q=ann%40example.com") == ["Ann Other"]
    assert names("q=permit") == ["Ann Other"]
    assert names("outcome__exact=resolved") == ["Ann Other"]
    assert names("status__exact=queued") == ["Jo Bloggs"]
    # Another council's chats never show.
    chat_in(councils.beta, name="Beta Resident")
    assert "Beta Resident" not in names("")


def test_the_transcript_shows_messages_and_notes_as_text_never_markup(councils):
    alpha = councils.alpha
    council_admin(alpha)
    duty = operator(alpha, "duty")
    chat = accepted_chat_in(alpha, duty, name=SCRIPT, message=f"hi {SCRIPT}")
    with schema_context(alpha.schema_name):
        Note.objects.create(conversation_id=chat.id, author_name="Duty", body=f"note {SCRIPT}")
    client = admin_client(alpha, "chief")

    page = client.get(f"/admin/chat/conversation/{chat.id}/change/").content.decode()

    assert 'data-testid="transcript"' in page
    assert "hi &lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "note &lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert SCRIPT not in page
    assert 'name="_save"' not in page  # read-only


def test_an_operator_sees_only_their_own_chats_and_cannot_change_the_set_up(councils):
    alpha = councils.alpha
    sam = operator(alpha, "sam")
    other = operator(alpha, "kim")
    mine = accepted_chat_in(alpha, sam, name="Sam's resident")
    theirs = accepted_chat_in(alpha, other, name="Kim's resident")
    client = admin_client(alpha, "sam")

    listing = client.get("/admin/chat/conversation/")
    assert [str(c.visitor) for c in listing.context["cl"].result_list] == ["Sam's resident"]
    assert client.get(f"/admin/chat/conversation/{mine.id}/change/").status_code == 200
    assert client.get(f"/admin/chat/conversation/{theirs.id}/change/").status_code == 404
    assert client.get("/admin/chat/cannedresponse/").status_code == 200
    for url in (
        "/admin/routing/department/",
        "/admin/widgets/widgetsettings/1/change/",
        "/admin/auth/user/",
        "/admin/routing/routingsettings/",
    ):
        assert client.get(url).status_code == 403, url


def test_a_council_admin_manages_departments_and_operators_but_cannot_make_superusers(councils):
    alpha = councils.alpha
    council_admin(alpha)
    sam = operator(alpha, "sam")
    client = admin_client(alpha, "chief")

    added = client.post(
        "/admin/routing/department/add/",
        {
            "name": "Council tax",
            "name_cy": "Treth y cyngor",
            "slug": "council-tax",
            "position": "3",
            "email": "ctax@alpha.gov.uk",
            "pages-TOTAL_FORMS": "0",
            "pages-INITIAL_FORMS": "0",
            "hours-TOTAL_FORMS": "1",
            "hours-INITIAL_FORMS": "0",
            "hours-0-weekday": "0",
            "hours-0-opens": "09:00",
            "hours-0-closes": "17:00",
            "closures-TOTAL_FORMS": "1",
            "closures-INITIAL_FORMS": "0",
            "closures-0-date": "2026-12-24",
            "closures-0-reason": "Staff training",
        },
    )
    assert added.status_code == 302, added.content.decode()[:3000]
    with schema_context(alpha.schema_name):
        department = Department.objects.get(slug="council-tax")
        assert department.hours.get().opens.hour == 9
        assert department.closures.get().reason == "Staff training"
        Department.objects.filter(slug="council-tax").delete()

    user_page = client.get(f"/admin/auth/user/{sam.id}/change/").content.decode()
    assert 'name="groups"' in user_page
    assert 'name="is_superuser"' not in user_page
    assert 'name="presence-0-max_chats"' in user_page  # capacity on the operator's page
    assert "Beta" not in client.get("/admin/auth/user/").content.decode()
    root = operator_in(alpha, "root", is_superuser=True)
    assert client.get(f"/admin/auth/user/{root.id}/change/").status_code in (302, 404)
    assert client.get(f"/admin/auth/user/{root.id}/password/").status_code in (302, 404)


def test_putting_a_new_user_in_the_operators_group_lets_them_sign_in_to_the_console(councils):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.test import Client

    alpha = councils.alpha
    council_admin(alpha)
    client = admin_client(alpha, "chief")
    with schema_context(alpha.schema_name):
        get_user_model().objects.filter(username="newbie").delete()
        operators = Group.objects.get(name="Operators")
    added = client.post(
        "/admin/auth/user/add/",
        {"username": "newbie", "password1": "pass-word-9876", "password2": "pass-word-9876"},
    )
    assert added.status_code == 302, added.content.decode()[:2000]
    with schema_context(alpha.schema_name):
        newbie = get_user_model().objects.get(username="newbie")
    changed = client.post(
        f"/admin/auth/user/{newbie.pk}/change/",
        {
            "username": "newbie",
            "first_name": "New",
            "last_name": "Operator",
            "email": "",
            "is_active": "on",
            "groups": [operators.pk],
            "presence-TOTAL_FORMS": "1",
            "presence-INITIAL_FORMS": "0",
            "presence-0-max_chats": "2",
        },
    )
    assert changed.status_code == 302, changed.content.decode()[:3000]

    console = Client(HTTP_HOST="alpha.localhost")
    login = console.post("/admin/login/", {"username": "newbie", "password": "pass-word-9876"})
    assert login.status_code == 302
    assert console.get("/console/").status_code == 200
    with schema_context(alpha.schema_name):
        assert get_user_model().objects.get(username="newbie").presence.max_chats == 2
