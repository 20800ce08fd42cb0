"""Which knowledge entry answers a question, and how sure the assistant is.

1. The question is normalised like every phrasing was (`assistant.text.content_text`:
   text-speak, filler words, the council's synonyms read as its own word).
2. PostgreSQL turns it into lexemes (`english` stemming, or `simple` with unaccent for
   Welsh), and each lexeme the knowledge does not contain is corrected to the most similar
   term by pg_trgm (`similarity`, GIN trigram index), so "recyling" finds "recycl".
3. Candidate phrasings are those whose precomputed vector matches any lexeme (an OR
   tsquery on the GIN index).
4. Each candidate is scored by weighted overlap: how much of the question it explains
   (recall: words the knowledge has never seen count against it, which is what keeps
   out-of-scope questions unanswered) and how much of the phrasing the question covers
   (precision), weighted by how rare each word is across the council's entries.
5. An answer is given only when the best entry's score reaches the council's threshold and
   no other entry is nearly as good; otherwise "not sure", with the nearest entries offered
   as suggestions.

No text is generated: the answer is the entry's, verbatim.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from django.db import connection

from assistant.index import groups_by_language, search_config, vocabulary
from assistant.text import content_text


@dataclass(frozen=True)
class Tuning:
    """The matcher's knobs, chosen on the shipped evaluation set (docs/assistant.md)."""

    fuzzy_min: float = 0.4  # trigram similarity a misspelt word needs to count as a term
    unknown_weight: float = 1.0  # what a word the knowledge has never seen weighs
    beta: float = 0.8  # precision (the phrasing covered) weighs a little more than recall
    margin: float = 0.04  # a second entry this close to the best makes it ambiguous
    union: bool = True  # an entry's phrasings explain a question between them
    family: float = 0.5  # worth of a word of the same family ("complain"/"complaint")


TUNING = Tuning()


@dataclass(frozen=True)
class Candidate:
    key: str
    entry_id: int
    score: float
    phrasing: str


@dataclass(frozen=True)
class EntryText:
    """What is sent when an entry answers: read with the candidates, in the same query."""

    answer: str
    links: list[dict[str, str]]
    department_id: int | None
    first_phrasing: str


@dataclass
class MatchResult:
    question: str
    language: str
    normalised: str
    candidates: list[Candidate] = field(default_factory=list)
    corrections: dict[str, str] = field(default_factory=dict)
    entries: dict[int, EntryText] = field(default_factory=dict)

    @property
    def best(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None

    @property
    def score(self) -> float:
        return self.candidates[0].score if self.candidates else 0.0

    def confident(self, threshold: float, tuning: Tuning = TUNING) -> bool:
        if not self.candidates or self.score < threshold:
            return False
        # Two answers nearly equally likely: a guess would be wrong half the time, so the
        # resident gets both as suggestions instead.
        return len(self.candidates) < 2 or self.candidates[1].score <= self.score - tuning.margin


_TERMS_SQL = """
WITH q AS (
  SELECT DISTINCT lex
    FROM unnest(tsvector_to_array(to_tsvector(%(cfg)s::regconfig, unaccent(%(text)s)))) AS lex
)
SELECT q.lex, t.lexeme, t.weight,
       CASE WHEN t.lexeme = q.lex THEN 1.0 ELSE similarity(t.lexeme, q.lex) END, false
  FROM q
  LEFT JOIN LATERAL (
        SELECT lexeme, weight FROM assistant_term
         WHERE language = %(lang)s
           AND (lexeme = q.lex OR (length(q.lex) >= 4 AND lexeme %% q.lex))
         ORDER BY (lexeme = q.lex) DESC, similarity(lexeme, q.lex) DESC
         LIMIT 1) t ON true
UNION ALL
-- Words of one family the stemmer keeps apart ("complain" / "complaint"): a stem that
-- begins another, both at least five letters, counts for a little less.
SELECT q.lex, t.lexeme, t.weight, %(family)s, true
  FROM q JOIN assistant_term t
    ON t.language = %(lang)s AND t.lexeme <> q.lex
   AND length(q.lex) >= 5 AND length(t.lexeme) >= 5
   AND (t.lexeme LIKE q.lex || '%%' OR q.lex LIKE t.lexeme || '%%')
"""

_CANDIDATES_SQL = """
SELECT e.id, e.key, p.text, p.weight, tsvector_to_array(p.search),
       e.answer, e.links::text, e.department_id,
       (SELECT f.text FROM assistant_phrasing f WHERE f.entry_id = e.id ORDER BY f.id LIMIT 1)
  FROM assistant_phrasing p
  JOIN assistant_knowledgeentry e ON e.id = p.entry_id
 WHERE e.enabled AND p.language = %(lang)s
   AND p.search @@ (SELECT string_agg(quote_literal(l), ' | ')
                      FROM unnest(%(lexemes)s::text[]) AS l)::tsquery
"""


def answer_language(language: str) -> str:
    """Welsh questions use the Welsh knowledge when the council has some, else English."""
    if language == "cy" and "cy" in vocabulary().languages:
        return "cy"
    return "en"


def match_unsafe(
    question: str, language: str, *, groups=None, tuning: Tuning = TUNING
) -> MatchResult:
    """Score the council's entries for `question`. Precondition: in the council's schema."""
    language = answer_language(language)
    if groups is None:
        groups = groups_by_language().get(language, [])
    normalised = content_text(question, language, groups)
    result = MatchResult(question=question, language=language, normalised=normalised)
    if not normalised:
        return result
    with connection.cursor() as cursor:
        cursor.execute(
            _TERMS_SQL,
            {
                "cfg": search_config(language),
                "text": normalised,
                "lang": language,
                "family": tuning.family,
            },
        )
        # Each word of the question: the terms it may stand for, with what each is worth.
        word_terms: dict[str, dict[str, float]] = {}
        term_weight: dict[str, float] = {}
        for lex, lexeme, weight, similarity, related in cursor.fetchall():
            options = word_terms.setdefault(lex, {})
            if lexeme is None or similarity < tuning.fuzzy_min:
                continue
            options[lexeme] = max(options.get(lexeme, 0.0), weight * similarity)
            term_weight[lexeme] = weight
            if lexeme != lex and not related:
                result.corrections[lex] = lexeme
        total = sum(
            max(options.values()) if options else tuning.unknown_weight
            for options in word_terms.values()
        )
        if not term_weight:
            return result
        cursor.execute(_CANDIDATES_SQL, {"lang": language, "lexemes": list(term_weight)})
        rows = cursor.fetchall()
    beta2 = tuning.beta**2

    def f_score(precision: float, recall: float) -> float:
        if not precision or not recall:
            return 0.0
        return (1 + beta2) * precision * recall / (beta2 * precision + recall)

    def explained(lexemes: set[str]) -> tuple[float, set[str]]:
        """How much of the question these lexemes explain, and which of them did."""
        got, used = 0.0, set()
        for options in word_terms.values():
            hits = [
                (value, term)
                for term, value in options.items()
                if term in lexemes and term not in used  # two words, one term: counted once
            ]
            if hits:
                value, term = max(hits)
                got += value
                used.add(term)
        return got, used

    # Per entry: the best single phrasing, and the question's words the entry's phrasings
    # explain between them ("got a ticket on my car, how do I pay" meets "parking ticket"
    # in one phrasing and "pay" in another). Precision stays that of the best phrasing.
    best: dict[int, Candidate] = {}
    covered: dict[int, set[str]] = {}
    best_precision: dict[int, float] = {}
    for entry_id, key, text, phrasing_weight, lexemes, answer, links, department, first in rows:
        if entry_id not in result.entries:
            result.entries[entry_id] = EntryText(answer, json.loads(links), department, first)
        lexeme_set = set(lexemes)
        got, _used = explained(lexeme_set)
        recall = got / total if total else 0.0
        precision = min(1.0, got / phrasing_weight) if phrasing_weight else 0.0
        covered.setdefault(entry_id, set()).update(lexeme_set)
        best_precision[entry_id] = max(best_precision.get(entry_id, 0.0), precision)
        score = f_score(precision, recall)
        current = best.get(entry_id)
        if score and (current is None or score > current.score):
            best[entry_id] = Candidate(key=key, entry_id=entry_id, score=score, phrasing=text)
    if tuning.union:
        for entry_id, candidate in list(best.items()):
            recall = explained(covered[entry_id])[0] / total
            union = f_score(best_precision[entry_id], recall)
            if union > candidate.score:
                best[entry_id] = Candidate(
                    key=candidate.key, entry_id=entry_id, score=union, phrasing=candidate.phrasing
                )
    result.candidates = sorted(best.values(), key=lambda c: (-c.score, c.key))
    return result
