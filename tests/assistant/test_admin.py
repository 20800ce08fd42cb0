"""The assistant in the council admin: the "try a question" box, knowledge, the report."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from assistant.models import KnowledgeEntry
from tests.admin.factories import admin_client, council_admin, operator

pytestmark = pytest.mark.usefixtures("assistant_councils")


def test_try_a_question_shows_the_answer_its_confidence_the_phrasing_and_the_threshold(councils):
    council_admin(councils.alpha)
    client = admin_client(councils.alpha, "chief")
    page = client.get(
        "/admin/assistant/knowledgeentry/try/",
        {"question": "how do i pay my parking ticket", "language": "en"},
    )
    text = page.content.decode()
    assert page.status_code == 200
    assert "It would answer with “pay-parking-fine”" in text
    assert "the threshold is 0.59" in text
    assert "nearest phrasing: “" in text
    assert "Pay your PCN online with its number" in text

    unsure = client.get("/admin/assistant/knowledgeentry/try/", {"question": "weather"})
    assert "It would say it is not sure" in unsure.content.decode()
    safety = client.get("/admin/assistant/knowledgeentry/try/", {"question": "I smell gas"})
    assert "emergency message" in safety.content.decode()


def test_the_knowledge_list_offers_the_try_box_and_markup_stays_text(councils):
    council_admin(councils.alpha)
    client = admin_client(councils.alpha, "chief")
    page = client.get("/admin/assistant/knowledgeentry/")
    assert page.status_code == 200
    assert 'data-testid="try-a-question"' in page.content.decode()
    tried = client.get(
        "/admin/assistant/knowledgeentry/try/", {"question": "show me the markup answer"}
    ).content.decode()
    assert "<script>alert(2)</script>" not in tried
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in tried


def test_an_admin_edit_is_searchable_at_once(councils):
    council_admin(councils.alpha)
    client = admin_client(councils.alpha, "chief")
    with schema_context(councils.alpha.schema_name):
        entry = KnowledgeEntry.objects.get(key="bin-day", language="en")
        phrasing = entry.phrasings.first()
    response = client.post(
        f"/admin/assistant/knowledgeentry/{entry.pk}/change/",
        {
            "key": "bin-day",
            "language": "en",
            "answer": "Bins go out on Mondays.",
            "links": "[]",
            "department": "",
            "enabled": "on",
            "phrasings-TOTAL_FORMS": "2",
            "phrasings-INITIAL_FORMS": "1",
            "phrasings-MIN_NUM_FORMS": "0",
            "phrasings-MAX_NUM_FORMS": "1000",
            "phrasings-0-id": str(phrasing.pk),
            "phrasings-0-entry": str(entry.pk),
            "phrasings-0-text": phrasing.text,
            "phrasings-1-id": "",
            "phrasings-1-entry": str(entry.pk),
            "phrasings-1-text": "when do the dustmen come round",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    tried = client.get(
        "/admin/assistant/knowledgeentry/try/", {"question": "dustmen come round"}
    ).content.decode()
    assert "Bins go out on Mondays." in tried


def test_a_javascript_link_is_refused_in_the_admin(councils):
    council_admin(councils.alpha)
    client = admin_client(councils.alpha, "chief")
    response = client.post(
        "/admin/assistant/knowledgeentry/add/",
        {
            "key": "bad",
            "language": "en",
            "answer": "x",
            "links": '[{"url": "javascript:alert(1)", "text": "Click"}]',
            "enabled": "on",
            "phrasings-TOTAL_FORMS": "0",
            "phrasings-INITIAL_FORMS": "0",
            "phrasings-MIN_NUM_FORMS": "0",
            "phrasings-MAX_NUM_FORMS": "1000",
        },
    )
    assert response.status_code == 200
    assert "not an http(s) address" in response.content.decode()


def test_the_report_counts_what_the_assistant_did_and_operators_cannot_see_it(councils):
    council_admin(councils.alpha)
    operator(councils.alpha)
    page = admin_client(councils.alpha, "chief").get("/admin/assistant/turn/")
    assert page.status_code == 200
    assert "Resolved without a person" in page.content.decode()
    assert admin_client(councils.alpha, "sam").get("/admin/assistant/turn/").status_code == 403
