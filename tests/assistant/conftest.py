"""Assistant fixtures: a small knowledge base at Alpha, the assistant's tables emptied after."""

from __future__ import annotations

import pytest
from django.db import connection
from django_tenants.utils import schema_context

from assistant.knowledge import knowledge_import, synonyms_replace
from assistant.models import AssistantSettings

ASSISTANT_TABLES = (
    "assistant_turn, assistant_phrasing, assistant_term, assistant_knowledgeentry, "
    "assistant_synonym, assistant_assistantsettings"
)

KNOWLEDGE = """key,language,questions,answer,link_url,link_text,department
pay-parking-fine,en,pay a parking fine|how do I pay a penalty charge notice|pay my PCN online,\
"Pay your PCN online with its number, or call 01305 221000.",\
/parking/pay|https://www.gov.uk/parking,Pay a parking fine|Parking on GOV.UK,parking
report-pothole,en,report a pothole|there is a hole in the road,\
Report a pothole online with a photo.,https://alpha.example/potholes,Report a pothole,highways
bin-day,en,when is my bin collection day|what day are my bins collected,\
Check your bin day with your postcode.,,,
markup,en,show me the markup answer,\
"<img src=x onerror=alert(1)><script>alert(2)</script> Read this",,,
pay-parking-fine,cy,talu dirwy parcio|talu tocyn parcio,Talwch eich PCN ar-lein.,,,parking
"""
BETA_KNOWLEDGE = """key,language,questions,answer,link_url,link_text,department
library-card,en,join the library|get a library card,Join the library at any branch.,,,
"""


def seed_assistant(council, *, mode: str = "first", text: str = KNOWLEDGE, **settings) -> None:
    with schema_context(council.schema_name):
        synonyms_replace(
            [
                ("en", "parking fine, pcn, parking ticket, penalty charge notice"),
                ("en", "bin, rubbish, refuse, waste"),
            ]
        )
        knowledge_import(text, replace=True)
        AssistantSettings.objects.update_or_create(pk=1, defaults={"mode": mode, **settings})


@pytest.fixture
def assistant_councils(committed):
    """Alpha's assistant knows parking, potholes and bins; Beta's knows only the library."""
    seed_assistant(committed.alpha)
    seed_assistant(committed.beta, mode="off", text=BETA_KNOWLEDGE)
    yield committed
    for council in committed.all():
        with schema_context(council.schema_name), connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {ASSISTANT_TABLES} CASCADE")
    connection.set_schema_to_public()
