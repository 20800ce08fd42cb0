"""The search index of a council's knowledge: phrasings' vectors and the terms' weights.

Rebuilt whole (it is small: a few hundred phrasings) whenever knowledge or synonyms change,
inside the caller's transaction, so a question never meets half an index.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection, transaction

from assistant.models import AssistantSettings, KnowledgeEntry, Phrasing, Synonym
from assistant.text import SynonymGroup, content_text, synonym_groups_for
from councils.local_cache import ExpiringCache
from councils.tenancy import council_schema

VOCABULARY_CACHE_SECONDS = 10

# Term weight: how much a word says about which answer is meant (inverse document frequency
# over entries, so an entry with many phrasings does not make its words look common).
_TERMS_SQL = """
DELETE FROM assistant_term;
INSERT INTO assistant_term (language, lexeme, weight)
SELECT p.language, l.lexeme,
       ln(1 + n.entries::float / count(DISTINCT p.entry_id))
  FROM assistant_phrasing p
  JOIN assistant_knowledgeentry e ON e.id = p.entry_id AND e.enabled
  CROSS JOIN LATERAL unnest(tsvector_to_array(p.search)) AS l(lexeme)
  JOIN (SELECT language, count(*) AS entries FROM assistant_knowledgeentry
         WHERE enabled GROUP BY language) n ON n.language = p.language
 GROUP BY p.language, l.lexeme, n.entries;
UPDATE assistant_phrasing p
   SET weight = coalesce((SELECT sum(t.weight)
                            FROM unnest(tsvector_to_array(p.search)) AS l(lexeme)
                            JOIN assistant_term t
                              ON t.lexeme = l.lexeme AND t.language = p.language), 0);
"""

_VECTOR_SQL = """
UPDATE assistant_phrasing
   SET search = to_tsvector(CASE WHEN language = 'cy' THEN 'simple' ELSE 'english' END::regconfig,
                            unaccent(expanded))
"""


def search_config(language: str) -> str:
    """PostgreSQL has no Welsh configuration: `simple` (no stemming) with unaccent."""
    return "simple" if language == "cy" else "english"


@dataclass(frozen=True)
class Vocabulary:
    """Per council, what every question needs before its search: the synonym groups and
    which languages have knowledge. Kept per process for a few seconds (like the widget's
    config); a reindex in this process clears it."""

    groups: dict[str, list[SynonymGroup]]
    languages: frozenset[str]
    settings: AssistantSettings  # read-only snapshot: threshold, texts, extra triggers


_vocabularies: ExpiringCache[str, Vocabulary] = ExpiringCache(VOCABULARY_CACHE_SECONDS, 1000)


def _load_vocabulary(schema: str) -> Vocabulary:
    rows: dict[str, list[str]] = {"en": [], "cy": []}
    for synonym in Synonym.objects.all():
        rows.setdefault(synonym.language, []).append(synonym.terms)
    groups = {language: synonym_groups_for(lines, language) for language, lines in rows.items()}
    languages = frozenset(
        KnowledgeEntry.objects.filter(enabled=True).values_list("language", flat=True).distinct()
    )
    return Vocabulary(groups, languages, AssistantSettings.current())


def vocabulary() -> Vocabulary:
    """Precondition: in the council's schema."""
    schema = connection.schema_name
    return _vocabularies.get_or_load(schema, _load_vocabulary)


def forget_vocabularies() -> None:
    """This process's copies are stale (the council's assistant settings were saved)."""
    _vocabularies.clear()


def groups_by_language() -> dict[str, list[SynonymGroup]]:
    return vocabulary().groups


def reindex_unsafe() -> None:
    """Recompute every phrasing's vector and every term's weight. Precondition: in the
    council's schema (and, for a consistent view, in the caller's transaction)."""
    groups = _load_vocabulary(connection.schema_name).groups
    phrasings = list(Phrasing.objects.select_related("entry").only("id", "text", "entry__language"))
    for phrasing in phrasings:
        language = phrasing.entry.language
        phrasing.language = language
        phrasing.expanded = content_text(phrasing.text, language, groups.get(language, []))
    Phrasing.objects.bulk_update(phrasings, ["language", "expanded"], batch_size=500)
    with connection.cursor() as cursor:
        cursor.execute(_VECTOR_SQL)
        cursor.execute(_TERMS_SQL)
    schema = connection.schema_name

    def _refresh() -> None:
        with council_schema(schema):
            _vocabularies.reload(schema, _load_vocabulary)

    transaction.on_commit(_refresh)
