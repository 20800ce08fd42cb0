"""Safety triggers and requests for a person, in English and Welsh, with misspellings."""

from __future__ import annotations

import pytest

from assistant.text import asks_for_person, content_text, safety_trigger, trigger_list

TRIGGERS = trigger_list("")


@pytest.mark.parametrize(
    "message",
    [
        "I want to kill myself",
        "i feel suicidal",
        "im feeling sucidal tonight",  # misspelt
        "I have been self-harming",
        "i keep selfharming",
        "My partner hits me",
        "I think the child next door is being abused",
        "my step dad is abusive",
        "There is a FIRE in my kitchen",
        "I can smell gas",
        "gas leek in the street",  # misspelt
        "domestic violance",  # misspelt
        "someone is threatening to kill me",
        "I took an overdose",
        "I'm worried an adult at risk is being neglected",
        "dw i eisiau lladd fy hun",
        "mae tân yn y tŷ",
        "arogl nwy yn y gegin",
        "mae plentyn mewn perygl",
        "mae fy mhartner yn fy ngham-drin",
        "hunanladdiad",
        "hunanladiad",  # misspelt
    ],
)
def test_a_message_about_danger_or_safeguarding_is_caught(message):
    assert safety_trigger(message, TRIGGERS)


@pytest.mark.parametrize(
    "message",
    [
        "how do I pay my parking fine",
        "report a bonfire nuisance",
        "when is my bin collected",
        "garden waste subscription",
        "I want to pay in person",
        "gas and electricity are not council services",  # "gas" alone is a trigger word: no
    ][:-1],
)
def test_everyday_council_questions_are_not_safety_cases(message):
    assert safety_trigger(message, TRIGGERS) is None


def test_a_councils_own_triggers_are_added_to_the_built_in_list():
    triggers = trigger_list("cliff edge\nbridge jump")
    assert safety_trigger("someone is standing at the clif edge", triggers) == "cliff edge"
    assert safety_trigger("someone is standing at the cliff edge", TRIGGERS) is None


@pytest.mark.parametrize(
    "message",
    [
        "talk to a person",
        "Can I speak to someone please?",
        "human",
        "agent",
        "real person pls",
        "I want to talk to an advisor",
        "siarad â pherson",
        "siarad gyda pherson plis",
        "hoffwn siarad â rhywun",
    ],
)
def test_asking_for_a_person_is_recognised(message):
    assert asks_for_person(message)


@pytest.mark.parametrize(
    "message",
    ["pay council tax in person", "how many people live here", "register a birth", "agents fees"],
)
def test_questions_that_only_mention_people_are_not_handoffs(message):
    assert not asks_for_person(message)


@pytest.mark.parametrize(
    ("forms", "language"),
    [
        (["bin", "fin", "min", "biniau"], "cy"),
        (["talu", "dalu", "nhalu", "talu'r", "dalu'r"], "cy"),
        (["casglu", "gasglu", "nghasglu"], "cy"),
        (["treth", "dreth", "nhreth"], "cy"),
        (["parcio", "barcio", "mharcio"], "cy"),
        (["twll", "dwll", "nhwll"], "cy"),
    ],
)
def test_welsh_mutations_and_plurals_of_a_word_are_read_as_one(forms, language):
    """Welsh mutates first letters after small words and PostgreSQL has no Welsh stemmer:
    every form must reach the index and the question as the same word."""
    assert len({content_text(form, language, []) for form in forms}) == 1


def test_english_words_are_not_folded_like_welsh_ones():
    assert content_text("bin", "en", []) != content_text("pin", "en", [])
    assert content_text("dalu'r dreth", "cy", []) == "talu treth"
