"""Importing and exporting a council's knowledge: all or nothing, bad rows by line number."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django_tenants.utils import schema_context

from assistant.models import KnowledgeEntry
from tests.assistant.conftest import KNOWLEDGE

pytestmark = pytest.mark.usefixtures("assistant_councils")


def entries(council) -> dict[tuple[str, str], tuple[str, list[str]]]:
    with schema_context(council.schema_name):
        return {
            (e.key, e.language): (e.answer, [p.text for p in e.phrasings.all()])
            for e in KnowledgeEntry.objects.prefetch_related("phrasings")
        }


def write(tmp_path, text: str):
    path = tmp_path / "knowledge.csv"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_import_creates_entries_with_phrasings_links_and_department(councils):
    got = entries(councils.alpha)
    assert got[("pay-parking-fine", "en")][1] == [
        "pay a parking fine",
        "how do I pay a penalty charge notice",
        "pay my PCN online",
    ]
    with schema_context(councils.alpha.schema_name):
        entry = KnowledgeEntry.objects.get(key="pay-parking-fine", language="en")
        assert entry.links == [
            {"url": "/parking/pay", "text": "Pay a parking fine"},
            {"url": "https://www.gov.uk/parking", "text": "Parking on GOV.UK"},
        ]
        assert entry.department.slug == "parking"


def test_reimporting_updates_the_same_keys_and_replace_removes_the_rest(councils, tmp_path):
    text = (
        "key,language,questions,answer,link_url,link_text,department\n"
        "bin-day,en,bin day please,New bin answer.,,,\n"
    )
    call_command("import_knowledge", "--council", "alpha", write(tmp_path, text))
    got = entries(councils.alpha)
    assert got[("bin-day", "en")] == ("New bin answer.", ["bin day please"])
    assert ("report-pothole", "en") in got  # kept without --replace

    call_command("import_knowledge", "--council", "alpha", write(tmp_path, text), "--replace")
    assert list(entries(councils.alpha)) == [("bin-day", "en")]


def test_a_bad_row_is_reported_with_its_line_number_and_nothing_is_imported(councils, tmp_path):
    before = entries(councils.alpha)
    text = (
        "key,language,questions,answer,link_url,link_text,department\n"
        "new-one,en,a good new question,A good answer.,,,\n"
        'multi-line,en,"question one|question two","An answer\nover two lines.",,,\n'
        "Bad Key!,fr,,,javascript:alert(1),Click,nowhere\n"
        "new-two,en,another question,Another answer.,,,\n"
    )
    errors = []
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command(
            "import_knowledge",
            "--council",
            "alpha",
            write(tmp_path, text),
            stderr=type("E", (), {"write": lambda self, s, *a, **k: errors.append(s)})(),
        )
    assert len(errors) == 1
    assert errors[0].startswith("line 5: ")
    for problem in ("key must be", "language must be", "questions is empty", "answer is empty"):
        assert problem in errors[0]
    assert "not an http(s) address" in errors[0]
    assert "no department 'nowhere'" in errors[0]
    assert entries(councils.alpha) == before


def test_a_wrong_header_refuses_the_file(tmp_path):
    with pytest.raises(CommandError):
        call_command(
            "import_knowledge", "--council", "alpha", write(tmp_path, "key,question\nx,y\n")
        )


def test_export_writes_the_import_format_and_round_trips(councils, tmp_path):
    out = tmp_path / "out.csv"
    call_command("export_knowledge", "--council", "alpha", str(out))
    exported = out.read_text(encoding="utf-8")
    assert exported.splitlines()[0] == "key,language,questions,answer,link_url,link_text,department"
    before = entries(councils.alpha)
    call_command("import_knowledge", "--council", "alpha", str(out), "--replace")
    assert entries(councils.alpha) == before
    assert len(before) == len(KNOWLEDGE.strip().splitlines()) - 1


def test_import_at_an_unknown_council_is_refused(tmp_path):
    with pytest.raises(CommandError, match="No council"):
        call_command("import_knowledge", "--council", "nowhere", write(tmp_path, KNOWLEDGE))
