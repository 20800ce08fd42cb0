"""The demo's assistant: knowledge, UK council synonyms and modes for each demo council.

Called once per council by the demo seed (inside the council's schema). It seeds a council
whose knowledge base is empty and leaves alone one that has any: what an admin changed
(entries, synonyms, the mode) survives a restart of `make demo`.
"""

from __future__ import annotations

import csv
from pathlib import Path

from assistant.knowledge import knowledge_import, synonyms_replace
from assistant.models import AssistantSettings, KnowledgeEntry

DATA = Path(__file__).resolve().parent / "demo_data"
MODES = {"purbeck": AssistantSettings.Mode.FIRST, "dorset": AssistantSettings.Mode.OUT_OF_HOURS}
WELSH = {"dorset"}


def demo_synonyms() -> list[tuple[str, str]]:
    with open(DATA / "synonyms.csv", encoding="utf-8", newline="") as handle:
        return [(row["language"], row["terms"]) for row in csv.DictReader(handle)]


def seed_assistant_demo(council_slug: str) -> None:
    """Knowledge (English everywhere, Welsh at Dorset), synonyms and the mode.
    Precondition: in the council's schema."""
    if KnowledgeEntry.objects.exists():
        return
    text = (DATA / "knowledge_en.csv").read_text(encoding="utf-8")
    if council_slug in WELSH:
        welsh = (DATA / "knowledge_cy.csv").read_text(encoding="utf-8")
        text += "".join(welsh.splitlines(keepends=True)[1:])
    synonyms_replace(demo_synonyms())
    knowledge_import(text, replace=True)
    settings = AssistantSettings.current()
    settings.mode = MODES.get(council_slug, AssistantSettings.Mode.OFF)
    settings.save(update_fields=["mode"])
