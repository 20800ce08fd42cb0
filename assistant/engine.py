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


TUNING = Tuning()


@dataclass(frozen=True)
class Candidate:
    key: str
    entry_id: int
    score: float
    phrasing: str


@dataclass
class MatchResult:
    question: str
    language: str
    normalised: str
    candidates: list[Candidate] = field(default_factory=list)
    corrections: dict[str, str] = field(default_factory=dict)

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
       CASE WHEN t.lexeme = q.lex THEN 1.0 ELSE similarity(t.lexeme, q.lex) END
  FROM q
  LEFT JOIN LATERAL (
        SELECT lexeme, weight FROM assistant_term
         WHERE language = %(lang)s
           AND (lexeme = q.lex OR (length(q.lex) >= 4 AND lexeme %% q.lex))
         ORDER BY (lexeme = q.lex) DESC, similarity(lexeme, q.lex) DESC
         LIMIT 1) t ON true
"""

_CANDIDATES_SQL = """
SELECT e.id, e.key, p.text, p.weight, tsvector_to_array(p.search)
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
            _TERMS_SQL, {"cfg": search_config(language), "text": normalised, "lang": language}
        )
        query_terms: dict[str, float] = {}
        total = 0.0
        for lex, lexeme, weight, similarity in cursor.fetchall():
            if lexeme is not None and similarity >= tuning.fuzzy_min:
                contribution = weight * (1.0 if lexeme == lex else similarity)
                query_terms[lexeme] = max(query_terms.get(lexeme, 0.0), contribution)
                total += contribution
                if lexeme != lex:
                    result.corrections[lex] = lexeme
            else:
                total += tuning.unknown_weight
        if not query_terms:
            return result
        cursor.execute(_CANDIDATES_SQL, {"lang": language, "lexemes": list(query_terms)})
        rows = cursor.fetchall()
    best: dict[int, Candidate] = {}
    beta2 = tuning.beta**2
    for entry_id, key, text, phrasing_weight, lexemes in rows:
        matched = [lex for lex in lexemes if lex in query_terms]
        got = sum(query_terms[lex] for lex in matched)
        recall = got / total if total else 0.0
        precision = min(1.0, got / phrasing_weight) if phrasing_weight else 0.0
        if not recall or not precision:
            continue
        score = (1 + beta2) * precision * recall / (beta2 * precision + recall)
        current = best.get(entry_id)
        if current is None or score > current.score:
            best[entry_id] = Candidate(key=key, entry_id=entry_id, score=score, phrasing=text)
    result.candidates = sorted(best.values(), key=lambda c: (-c.score, c.key))
    return result
