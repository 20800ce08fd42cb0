"""What the assistant would answer, and tenant isolation."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django_tenants.utils import schema_context

from assistant.services import decide_unsafe

pytestmark = pytest.mark.usefixtures("assistant_councils")


def decide(council, question: str, language: str = "en"):
    with schema_context(council.schema_name):
        return decide_unsafe(question, language)


@pytest.mark.parametrize(
    "question",
    [
        "How do I pay my parking ticket?",
        "pay pcn",
        "i need to pay a parkin fine",  # misspelt: pg_trgm corrects it
        "where do I pay a penalty charge notice",
    ],
)
def test_paraphrases_and_misspellings_get_the_councils_answer_verbatim(councils, question):
    reply = decide(councils.alpha, question)
    assert reply.kind == "answer"
    assert reply.answer_key == "pay-parking-fine"
    assert reply.body == "Pay your PCN online with its number, or call 01305 221000."
    assert reply.links[0] == {"url": "/parking/pay", "text": "Pay a parking fine"}


def test_synonyms_reach_the_councils_own_words(councils):
    assert decide(councils.alpha, "what day is the rubbish collected").answer_key == "bin-day"


@pytest.mark.parametrize(
    "question", ["what is the weather tomorrow", "who won the football", "asdfghjkl", "hello"]
)
def test_out_of_scope_questions_are_not_answered(councils, question):
    reply = decide(councils.alpha, question)
    assert reply.kind == "not_sure"
    assert reply.answer_key is None


def test_a_welsh_question_gets_the_welsh_answer(councils):
    reply = decide(councils.alpha, "sut mae talu dirwy parcio", "cy")
    assert (reply.kind, reply.answer_key, reply.body) == (
        "answer",
        "pay-parking-fine",
        "Talwch eich PCN ar-lein.",
    )


def test_a_safety_message_is_never_answered_from_the_knowledge(councils):
    reply = decide(councils.alpha, "my partner hits me and I need to pay a parking fine")
    assert reply.kind == "safety"
    assert reply.answer_key is None
    assert "999" in reply.body


def test_one_councils_knowledge_never_answers_at_another(councils):
    assert decide(councils.alpha, "pay a parking fine").answer_key == "pay-parking-fine"
    assert decide(councils.beta, "pay a parking fine").kind == "not_sure"
    assert decide(councils.beta, "join the library").answer_key == "library-card"
    assert decide(councils.alpha, "join the library").kind == "not_sure"
    assert decide(councils.gamma, "pay a parking fine").kind == "not_sure"


def test_evaluate_prints_accuracy_false_answers_not_sure_and_latency(tmp_path, capsys):
    path = tmp_path / "eval.csv"
    path.write_text(
        "question,language,expected_key\n"
        "how do I pay my parking fine,en,pay-parking-fine\n"
        "report a pothole please,en,report-pothole\n"
        "what is the weather,en,\n"
        "I want to kill myself,en,SAFETY\n",
        encoding="utf-8",
    )
    call_command("evaluate_assistant", "--council", "alpha", str(path))
    out = capsys.readouterr().out
    assert "accuracy: 100.0%" in out
    assert "false-answer rate: 0.0%" in out
    assert "not-sure rate: 33.3%" in out
    assert "safety caught: 1/1" in out
    assert "p99" in out
