"""The widget's words in Welsh, and the branding checks an admin meets when saving."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from widgets.models import PrechatField, WidgetSettings
from widgets.strings import widget_strings

# The same words in both languages: the middle ratings, and "letter.pdf (PDF, 120 KB)".
SAME_IN_WELSH = {"rating_2", "rating_3", "rating_4", "document_link"}


def test_every_widget_string_has_a_welsh_translation():
    english, welsh = widget_strings("en"), widget_strings("cy")
    assert english.keys() == welsh.keys()
    untranslated = [k for k in english if english[k] == welsh[k] and k not in SAME_IN_WELSH]
    assert untranslated == []


def test_placeholders_survive_translation():
    import re

    english, welsh = widget_strings("en"), widget_strings("cy")
    for key, text in english.items():
        assert set(re.findall(r"\{\w+\}", text)) == set(re.findall(r"\{\w+\}", welsh[key])), key


def test_the_language_button_names_the_other_language_in_that_language():
    assert widget_strings("en")["switch_language"] == "Cymraeg"
    assert widget_strings("cy")["switch_language"] == "English"


@pytest.mark.parametrize(
    ("brand", "text", "ok"),
    [
        ("#1d4f91", "#ffffff", True),
        ("#ffdd00", "#0b0c0c", True),
        ("#ffdd00", "#ffffff", False),  # yellow on white: 1.3:1
        ("#767676", "#ffffff", True),  # 4.54:1, just over
        ("#777777", "#ffffff", False),  # 4.48:1, just under
    ],
)
def test_colours_are_checked_against_wcag_aa_contrast_when_saved(brand, text, ok):
    settings = WidgetSettings(brand_colour=brand, text_colour=text)
    if ok:
        settings.clean()
    else:
        with pytest.raises(ValidationError) as raised:
            settings.clean()
        message = raised.value.message_dict["text_colour"][0]
        assert "4.5:1" in message and brand in message


def test_welsh_cannot_be_the_default_unless_it_is_offered():
    with pytest.raises(ValidationError):
        WidgetSettings(default_language="cy", offer_welsh=False).clean()


def test_a_choice_question_needs_options_and_only_a_choice_has_them():
    with pytest.raises(ValidationError):
        PrechatField(key="topic", label="Topic", kind="choice", choices="").clean()
    with pytest.raises(ValidationError):
        PrechatField(key="name2", label="Name", kind="text", choices="A\nB").clean()
