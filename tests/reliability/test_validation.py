"""The generic checks every untrusted JSON input gets (reliability/validation.py)."""

from __future__ import annotations

import pytest

from reliability.validation import (
    MAX_DEPTH,
    MAX_INT,
    InvalidInput,
    check_shape,
    check_value,
    loads_checked,
    nesting_depth,
    parse_checked,
)

SCHEMA = {
    "type": "object",
    "required": ["type"],
    "properties": {"type": {"type": "string"}, "body": {"type": "string", "maxLength": 5}},
}


def test_nesting_depth_counts_brackets_but_not_those_inside_strings():
    assert nesting_depth('{"a": [1, {"b": "[[[[{{{{"}]}') == 3
    assert nesting_depth('"\\"[[["') == 0


def test_given_nesting_far_beyond_the_recursion_limit_then_refused_without_recursion_error():
    with pytest.raises(InvalidInput, match="deeper"):
        loads_checked("[" * 200_000 + "]" * 200_000)


def test_given_nesting_at_the_limit_then_accepted_and_one_more_level_refused():
    assert loads_checked("[" * MAX_DEPTH + "]" * MAX_DEPTH) is not None
    with pytest.raises(InvalidInput):
        loads_checked("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1))


@pytest.mark.parametrize(
    "raw",
    [
        '{"body": "a\\u0000b"}',
        '{"a\\u0000": 1}',
        '{"body": "\\ud83d"}',  # half of an emoji
        '{"body": "\\udc00x"}',
        '{"n": 18446744073709551616}',
        '{"n": -9007199254740992}',
        '{"n": 1e400}',
        '{"n": NaN}',
        '{"n": -Infinity}',
        "not json",
        b"\xff",
    ],
)
def test_given_unsafe_values_then_refused_with_a_sentence_that_does_not_echo_them(raw):
    with pytest.raises(InvalidInput) as refused:
        loads_checked(raw)
    assert "\x00" not in refused.value.detail and "ud83d" not in refused.value.detail


def test_given_a_whole_emoji_and_the_safe_number_bounds_then_accepted():
    raw = '{"body": "\\ud83d\\ude00", "n": ' + str(MAX_INT) + ', "m": ' + str(-MAX_INT) + "}"
    assert loads_checked(raw) == {
        "body": "😀",
        "n": MAX_INT,
        "m": -MAX_INT,
    }


def test_the_refused_field_is_named_by_its_path():
    with pytest.raises(InvalidInput) as refused:
        check_value({"fields": {"ref": 2**64}})
    assert refused.value.field == "fields.ref"
    assert refused.value.as_errors() == {"fields": [refused.value.detail]}


def test_shape_errors_say_what_was_expected_without_the_value():
    with pytest.raises(InvalidInput) as refused:
        check_shape({"type": "message", "body": ["secret"]}, SCHEMA)
    assert refused.value.field == "body" and "text" in refused.value.detail
    assert "secret" not in refused.value.detail
    with pytest.raises(InvalidInput, match="type is required"):
        parse_checked("{}", SCHEMA)
    with pytest.raises(InvalidInput, match="at most 5"):
        parse_checked('{"type": "m", "body": "toolong"}', SCHEMA)
