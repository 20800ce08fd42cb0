"""A council's knowledge in and out as CSV, all or nothing.

Header (exactly): key,language,questions,answer,link_url,link_text,department
`questions` holds phrasings separated by `|`; `link_url` and `link_text` may hold several
links the same way (paired by position). A link is an absolute http(s) URL or a path on the
council's own site ("/parking/pay-a-parking-fine").
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.db import transaction
from django.utils import timezone

from assistant.index import reindex_unsafe
from assistant.models import KnowledgeEntry, Phrasing
from routing.models import Department

HEADER = ["key", "language", "questions", "answer", "link_url", "link_text", "department"]
_KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,99}$")
ANSWER_MAX = 4000
PHRASING_MAX = 300


class KnowledgeImportError(Exception):
    """The file was refused; `errors` lists every problem as "line N: …"."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    removed: int = 0
    keys: list[str] = field(default_factory=list)


def safe_link_url(url: str) -> bool:
    """Only http(s) links, or a path on the council's own site: never javascript: or data:."""
    url = url.strip()
    if url.startswith("/") and not url.startswith("//"):
        return not any(c.isspace() for c in url)
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and " " not in url


def clean_links(urls: str, texts: str) -> tuple[list[dict[str, str]], str | None]:
    """Links from the CSV's `|`-separated columns, or an error."""
    url_list = [u.strip() for u in urls.split("|")] if urls.strip() else []
    text_list = [t.strip() for t in texts.split("|")] if texts.strip() else []
    if len(url_list) != len(text_list):
        return [], "link_url and link_text must name the same number of links"
    links = []
    for url, text in zip(url_list, text_list, strict=True):
        if not safe_link_url(url):
            return [], f"link {url!r} is not an http(s) address or a path on your site"
        if not text or len(text) > 100:
            return [], "each link needs a text of 1 to 100 characters"
        links.append({"url": url, "text": text})
    return links, None


@dataclass
class _Row:
    line: int
    key: str
    language: str
    questions: list[str]
    answer: str
    links: list[dict[str, str]]
    department: Department | None


def _parse(text: str) -> tuple[list[_Row], list[str]]:
    errors: list[str] = []
    rows: list[_Row] = []
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        return [], ["line 1: the file is empty"]
    except csv.Error as exc:
        return [], [f"line 1: {exc}"]
    if header and header[0].startswith("\ufeff"):
        header[0] = header[0][1:]
    if [h.strip() for h in header] != HEADER:
        return [], [f"line 1: the header must be exactly {','.join(HEADER)}"]
    departments = {d.slug: d for d in Department.objects.all()}
    seen: dict[tuple[str, str], int] = {}
    line = reader.line_num
    while True:
        start = line + 1
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            errors.append(f"line {start}: {exc}")
            break
        line = reader.line_num
        if not any(cell.strip() for cell in record):
            continue
        if len(record) != len(HEADER):
            errors.append(f"line {start}: expected {len(HEADER)} columns, found {len(record)}")
            continue
        key, language, questions, answer, link_url, link_text, department = (
            c.strip() for c in record
        )
        problems = []
        if not _KEY.match(key):
            problems.append("key must be 1-100 lower-case letters, digits, - or _")
        if language not in ("en", "cy"):
            problems.append("language must be en or cy")
        phrasings = [q.strip() for q in questions.split("|") if q.strip()]
        if not phrasings:
            problems.append("questions is empty")
        elif any(len(q) > PHRASING_MAX for q in phrasings):
            problems.append(f"a question is over {PHRASING_MAX} characters")
        if not answer:
            problems.append("answer is empty")
        elif len(answer) > ANSWER_MAX:
            problems.append(f"answer is over {ANSWER_MAX} characters")
        links, link_error = clean_links(link_url, link_text)
        if link_error:
            problems.append(link_error)
        found_department = None
        if department:
            found_department = departments.get(department)
            if found_department is None:
                problems.append(f"no department {department!r}")
        if (key, language) in seen:
            problems.append(f"{key} ({language}) is already on line {seen[(key, language)]}")
        if problems:
            errors.append(f"line {start}: " + "; ".join(problems))
            continue
        seen[(key, language)] = start
        rows.append(_Row(start, key, language, phrasings, answer, links, found_department))
    return rows, errors


@transaction.atomic
def knowledge_import(text: str, *, replace: bool = False) -> ImportReport:
    """Create or update every entry in the CSV; with `replace`, remove the rest.

    Any bad row refuses the whole file (KnowledgeImportError), so nothing is half-imported.
    Precondition: in the council's schema.
    """
    rows, errors = _parse(text)
    if errors:
        raise KnowledgeImportError(errors)
    report = ImportReport()
    existing = {(e.key, e.language): e for e in KnowledgeEntry.objects.all()}
    now = timezone.now()
    for row in rows:
        entry = existing.get((row.key, row.language))
        if entry is None:
            entry = KnowledgeEntry(key=row.key, language=row.language)
            report.created += 1
        else:
            report.updated += 1
        entry.answer = row.answer
        entry.links = row.links
        entry.department = row.department
        entry.enabled = True
        entry.updated_at = now
        entry.save()
        entry.phrasings.all().delete()
        Phrasing.objects.bulk_create(
            Phrasing(entry=entry, text=q, language=row.language) for q in row.questions
        )
        report.keys.append(row.key)
    if replace:
        keep = {(r.key, r.language) for r in rows}
        gone = [e.pk for k, e in existing.items() if k not in keep]
        report.removed = (
            KnowledgeEntry.objects.filter(pk__in=gone)
            .delete()[1]
            .get("assistant.KnowledgeEntry", 0)
        )
    reindex_unsafe()
    return report


def knowledge_export(entries: Iterable[KnowledgeEntry] | None = None) -> str:
    """The council's knowledge in the import format (round-trips)."""
    if entries is None:
        entries = KnowledgeEntry.objects.prefetch_related("phrasings").select_related("department")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    for entry in entries:
        writer.writerow(
            [
                entry.key,
                entry.language,
                "|".join(p.text for p in entry.phrasings.all()),
                entry.answer,
                "|".join(link["url"] for link in entry.links),
                "|".join(link["text"] for link in entry.links),
                entry.department.slug if entry.department else "",
            ]
        )
    return out.getvalue()


@transaction.atomic
def synonyms_replace(lines: Iterable[tuple[str, str]]) -> None:
    """Replace the council's synonym list with (language, "a, b, c") lines and reindex."""
    from assistant.models import Synonym

    Synonym.objects.all().delete()
    Synonym.objects.bulk_create(Synonym(language=lang, terms=terms) for lang, terms in lines)
    reindex_unsafe()
