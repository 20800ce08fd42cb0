"""System lines (chat/system_messages.py): stored with a code and params, the English text in
`body`, and shown in the chat's language to the resident and in English to staff (issue 15)."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from chat import system_messages
from chat.actions.lifecycle import conversation_accept, conversation_end
from chat.actions.messages import system_message_unsafe
from chat.actions.redaction import anonymise_conversations_unsafe
from chat.actions.transfers import transfer_to_department, transfer_to_operator
from chat.models import Conversation, Message
from chat.payloads import english_frame
from chat.selectors import message_list_after, visitor_view_with_messages
from routing.models import Department
from tests.conftest import put_online
from tests.factories import accepted_chat_in, chat_in, operator_in

pytestmark = pytest.mark.usefixtures("manual_assignment")

ENDED_CY = "Mae Sam wedi dod â'r sgwrs i ben."

# ---- the registry and the renderer (no database) ------------------------------------------


def test_every_line_has_english_and_welsh_with_the_same_params():
    assert system_messages.LINES, "no system lines registered"
    for code, line in system_messages.LINES.items():
        assert line.en.strip() and line.cy.strip(), code
        assert line.en != line.cy, f"{code}: the Welsh is a copy of the English"
        assert system_messages._fields(line.en) == system_messages._fields(line.cy), code


def test_a_line_registered_twice_or_with_different_params_in_each_language_is_refused():
    with pytest.raises(ValueError, match="twice"):
        system_messages.register("joined", en="{operator} joined.", cy="Mae {operator} yma.")
    with pytest.raises(ValueError, match="different params"):
        system_messages.register("new_line", en="{operator} left.", cy="Mae {visitor} wedi mynd.")
    assert "new_line" not in system_messages.LINES


def test_welsh_with_is_ag_before_a_vowel_and_a_circumflex_before_a_consonant_without_mutation():
    assert system_messages.render("talking_to", {"operator": "Alex Morgan"}, "cy") == (
        "Rydych chi nawr yn siarad ag Alex Morgan."
    )
    assert system_messages.render("talking_to", {"operator": "Sam Patel"}, "cy") == (
        "Rydych chi nawr yn siarad â Sam Patel."
    )
    # The name is never mutated ("â Pam", not "â Pham"); an accented vowel takes "ag".
    assert system_messages.with_welsh("Pam") == "â Pam"
    assert system_messages.with_welsh("Élise") == "ag Élise"


def test_a_welsh_rendering_uses_the_welsh_form_of_a_param_and_falls_back_to_the_english_one():
    params = {"operator": "Sam", "department": "Parking", "department_cy": "Parcio"}
    assert system_messages.render("passed_to_department", params, "cy") == (
        "Mae Sam wedi trosglwyddo eich sgwrs i'r tîm Parcio. Rydych chi ar flaen eu ciw."
    )
    assert system_messages.render("passed_to_department", params, "en") == (
        "Sam passed your chat to Parking. You're at the front of their queue."
    )
    params["department_cy"] = " "
    assert "i'r tîm Parking." in system_messages.render("passed_to_department", params, "cy")


def test_a_transfer_to_another_council_names_its_welsh_name_unmutated_in_welsh_only():
    """Issue 15: the council as the subject after "Bydd" (no mutation), never "i Cyngor"."""
    params = {"operator": "Sam", "council": "Beta Council", "council_cy": "Cyngor Beta"}
    assert system_messages.render("passed_to_council", params, "cy") == (
        "Mae Sam wedi trosglwyddo eich sgwrs. Bydd Cyngor Beta yn eich ateb: rydych chi ar "
        "flaen eu ciw."
    )
    assert system_messages.english("passed_to_council", params) == (
        "Sam passed your chat to Beta Council. You're at the front of their queue."
    )
    del params["council_cy"]  # a council without a Welsh name
    assert "Bydd Beta Council yn eich ateb" in system_messages.render(
        "passed_to_council", params, "cy"
    )


def test_an_unknown_code_or_a_missing_param_renders_the_stored_text():
    assert system_messages.render("no_such_line", {}, "cy", fallback="as stored") == "as stored"
    assert system_messages.render("joined", {}, "cy", fallback="as stored") == "as stored"
    assert system_messages.render("joined", {"operator": ""}, "cy", fallback="") == ""
    with pytest.raises(ValueError, match="needs operator"):
        system_messages.english("joined", {})


def test_a_line_with_braces_in_a_name_is_not_formatted_twice():
    text = system_messages.render("joined", {"operator": "{council} Sam"}, "en")
    assert text == "{council} Sam joined the chat."


# ---- stored and shown ---------------------------------------------------------------------


def welsh(chat) -> None:
    Conversation.objects.filter(id=chat.id).update(language="cy")


def system_rows(chat_id) -> list[tuple[str, dict, str]]:
    return list(
        Message.objects.filter(conversation_id=chat_id, author="system")
        .order_by("seq")
        .values_list("code", "params", "body")
    )


def test_a_welsh_chat_stores_english_with_a_code_and_its_resident_reads_welsh(councils):
    # Residents see an operator's first name (issue 15: chat.payloads.operator_display_name).
    sam = operator_in(councils.alpha, "sam", first_name="Sam", last_name="Patel")
    chat = chat_in(councils.alpha)
    with schema_context(councils.alpha.schema_name):
        welsh(chat)
    with schema_context(councils.alpha.schema_name):
        conversation_accept(council=councils.alpha, conversation_id=chat.id, operator=sam)
        conversation_end(council=councils.alpha, conversation_id=chat.id, operator=sam)
        assert system_rows(chat.id) == [
            ("joined", {"operator": "Sam"}, "Sam joined the chat."),
            ("ended_by_operator", {"operator": "Sam"}, "Sam ended the chat."),
        ]
        replayed = message_list_after(chat.id, 0)
        _view, resumed = visitor_view_with_messages(chat.id, 0)
    for messages in (replayed, resumed):
        lines = [(m["code"], m["params"], m["body"]) for m in messages if m["author"] == "system"]
        assert lines == [
            ("joined", {"operator": "Sam"}, "Mae Sam wedi ymuno â'r sgwrs."),
            ("ended_by_operator", {"operator": "Sam"}, ENDED_CY),
        ]
        # What the operator's console is sent: the same line in English.
        staff = [english_frame({"type": "message", **m})["body"] for m in messages]
        assert staff[1:] == ["Sam joined the chat.", "Sam ended the chat."]
    # A visitor's message keeps its shape: no code or params on the wire.
    assert "code" not in replayed[0] and "params" not in replayed[0]


def test_transfers_store_the_department_s_welsh_name_and_the_new_operator(councils):
    put_online(councils.alpha, "alex", max_chats=3)  # (resets the user: names come after)
    put_online(councils.alpha, "sam", max_chats=3)
    sam = operator_in(councils.alpha, "sam", first_name="Sam", last_name="Patel")
    alex = operator_in(councils.alpha, "alex", first_name="Alex", last_name="Morgan")
    chat = accepted_chat_in(councils.alpha, sam)
    with schema_context(councils.alpha.schema_name):
        welsh(chat)
        Department.objects.filter(slug="highways").update(name_cy="Priffyrdd")
        try:
            transfer_to_operator(
                council=councils.alpha, conversation_id=chat.id, operator=sam, to_user_id=alex.id
            )
            transfer_to_department(
                council=councils.alpha,
                conversation_id=chat.id,
                operator=alex,
                department_slug="highways",
            )
        finally:
            Department.objects.filter(slug="highways").update(name_cy="")
        rows = system_rows(chat.id)
        shown = [m["body"] for m in message_list_after(chat.id, 0) if m["author"] == "system"]
    assert rows[1:] == [
        ("talking_to", {"operator": "Alex"}, "You are now talking to Alex."),
        (
            "passed_to_department",
            {"operator": "Alex", "department": "Highways", "department_cy": "Priffyrdd"},
            "Alex passed your chat to Highways. You're at the front of their queue.",
        ),
    ]
    assert shown[1:] == [
        "Rydych chi nawr yn siarad ag Alex.",
        "Mae Alex wedi trosglwyddo eich sgwrs i'r tîm Priffyrdd. Rydych chi ar flaen eu ciw.",
    ]


def test_a_code_that_is_not_registered_is_refused_and_nothing_is_stored(councils):
    chat = chat_in(councils.alpha)
    with schema_context(councils.alpha.schema_name):
        conversation = Conversation.objects.get(id=chat.id)
        with pytest.raises(ValueError, match="register it"):
            system_message_unsafe(councils.alpha, conversation, "Somebody left.")
        assert system_rows(chat.id) == []


def test_removing_a_chat_s_personal_data_removes_the_names_in_its_system_lines(councils):
    sam = operator_in(councils.alpha, "sam", first_name="Sam", last_name="Patel")
    chat = accepted_chat_in(councils.alpha, sam)
    with schema_context(councils.alpha.schema_name):
        conversation_end(council=councils.alpha, conversation_id=chat.id)
        anonymise_conversations_unsafe([chat.id], reason="erasure")
        assert system_rows(chat.id) == [("", {}, "")] * 2
        shown = [m for m in message_list_after(chat.id, 0) if m["author"] == "system"]
    assert [(m["body"], m["code"], m["params"]) for m in shown] == [("", None, {})] * 2
