"""chat/labels.py: what staff read instead of raw keys and JSON (issue 15)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from chat.labels import answer_text, duration_text, prechat_answers, routing_rows, uk_time


@dataclass
class Question:
    key: str
    label: str
    kind: str
    choices: str = ""


QUESTIONS = [
    Question("email", "Email address", "email"),
    Question("topic", "What is it about?", "choice", "Parking fine (PCN)|Dirwy parcio\nBins"),
    Question("consent", "I agree that the council may keep a record", "consent"),
]


def test_answers_carry_their_questions_labels_in_the_forms_order_with_consent_as_yes():
    answers = prechat_answers(
        {"consent": True, "topic": "Parking fine (PCN)", "email": "jo@example.org"}, QUESTIONS
    )
    assert [(a["label"], a["value"]) for a in answers] == [
        ("Email address", "jo@example.org"),
        ("What is it about?", "Parking fine (PCN)"),
        ("I agree that the council may keep a record", "Yes"),
    ]
    assert [a["kind"] for a in answers] == ["email", "choice", "consent"]


def test_an_answer_to_a_question_since_removed_comes_last_under_its_key_made_readable():
    answers = prechat_answers({"account_ref": "AB-1", "email": "x@example.org"}, QUESTIONS)
    assert [(a["label"], a["value"]) for a in answers] == [
        ("Email address", "x@example.org"),
        ("Account ref", "AB-1"),
    ]


def test_no_answers_give_an_empty_list():
    assert prechat_answers({}, QUESTIONS) == []
    assert prechat_answers(None, QUESTIONS) == []


@pytest.mark.parametrize(
    ("kind", "value", "text"),
    [("consent", False, "No"), ("text", None, ""), ("text", ["a", "b"], "a, b"), ("text", 7, "7")],
)
def test_answer_text_reads_as_a_person_would_write_it(kind, value, text):
    assert answer_text(kind, value) == text


def test_a_routing_decision_becomes_labelled_rows_not_json():
    rows = routing_rows(
        {"rule": 4, "kind": "postcode", "label": "DT1 is in West Dorset", "district": "DT1"}
    )
    assert rows == [
        ("Why here", "DT1 is in West Dorset"),
        ("Decided by", "The resident's postcode"),
        ("Rule", "4"),
        ("District", "DT1"),
    ]
    assert routing_rows({}) == []


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0.023779, "0 s"),
        (45, "45 s"),
        (72.4, "1 min 12 s"),
        (120, "2 min"),
        (3600, "1 h"),
        (7500, "2 h 5 min"),
        (timedelta(minutes=3, seconds=1), "3 min 1 s"),
        (None, ""),
        (float("nan"), ""),
    ],
)
def test_durations_are_whole_seconds_in_minutes_and_hours(seconds, text):
    assert duration_text(seconds) == text


def test_times_are_uk_local_on_the_24_hour_clock():
    summer = datetime(2026, 7, 1, 13, 5, tzinfo=UTC)  # 14:05 in London (BST)
    assert uk_time(summer) == "01/07/2026 14:05"
    assert uk_time(datetime(2026, 12, 1, 21, 30, tzinfo=UTC), with_date=False) == "21:30"
    assert uk_time(None) == ""
