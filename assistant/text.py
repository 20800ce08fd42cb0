"""What residents type, made comparable: normalising, synonyms, safety triggers, handoff.

Pure functions with no database, so the same steps run on the council's phrasings when
they are indexed and on every question asked (a mismatch between the two is how a matcher
silently stops matching).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

_WORD = re.compile(r"[a-z0-9]+")

# Text-speak and common misspellings of small words the stemmer cannot guess.
TEXT_SPEAK = {
    "u": "you",
    "ur": "your",
    "yr": "your",
    "r": "are",
    "pls": "please",
    "plz": "please",
    "plss": "please",
    "thx": "thanks",
    "ty": "thanks",
    "wen": "when",
    "wot": "what",
    "wat": "what",
    "wht": "what",
    "hw": "how",
    "2": "to",
    "4": "for",
    "b4": "before",
    "cos": "because",
    "coz": "because",
    "bc": "because",
    "ive": "i have",
    "im": "i am",
    "dont": "do not",
    "cant": "cannot",
    "wont": "will not",
    "didnt": "did not",
    "hasnt": "has not",
    "havent": "have not",
    "isnt": "is not",
    "wasnt": "was not",
    "n": "and",
    "txt": "text",
    "msg": "message",
    "tmrw": "tomorrow",
    "tmr": "tomorrow",
    "2moro": "tomorrow",
    "2day": "today",
    "nite": "night",
    "bins": "bin",
    "rd": "road",
    "st": "street",
    "info": "information",
    "no": "number",  # "tel no", "ref no"; a bare "no" carries nothing the matcher needs
    "num": "number",
    "nr": "number",
    "asap": "soon",
    "ppl": "people",
    "gov": "government",
    "govt": "government",
    "appt": "appointment",
    "dept": "department",
    "cyngor": "cyngor",
    # Negation carries meaning the stop-word lists throw away ("bin not collected" is a
    # missed bin, not bin day): it becomes a word of its own on both sides.
    "not": "miss",
    "never": "miss",
    "missed": "miss",
    "missing": "miss",
    "nt": "miss",
    "ddim": "miss",
    "heb": "miss",
}

# Words that carry no topic in a chat message ("hi, pls can u help me with…"), dropped
# before matching in both languages. PostgreSQL's `english` configuration drops the usual
# English stop words itself; `simple` (Welsh) drops none, hence the Welsh list.
FILLER_EN = frozenset(
    [
        "hi",
        "hello",
        "hiya",
        "hey",
        "heya",
        "morning",
        "afternoon",
        "evening",
        "good",
        "dear",
        "sir",
        "madam",
        "please",
        "thanks",
        "thank",
        "cheers",
        "help",
        "helping",
        "need",
        "needed",
        "want",
        "wanted",
        "wanting",
        "know",
        "like",
        "would",
        "could",
        "tell",
        "get",
        "got",
        "getting",
        "find",
        "finding",
        "out",
        "mate",
        "ok",
        "okay",
        "just",
        "question",
        "ask",
        "asking",
        "quick",
        "wondering",
        "wonder",
        "trying",
        "try",
        "am",
        "you",
        "your",
        "yours",
        "me",
        "my",
        "mine",
        "i",
        "we",
        "our",
        "us",
        "can",
        "cannot",
        "is",
        "are",
        "was",
        "were",
        "do",
        "does",
        "did",
        "have",
        "has",
        "had",
        "will",
        "shall",
        "should",
        "may",
        "might",
        "must",
        "be",
        "been",
        "being",
        "the",
        "a",
        "an",
        "and",
        "or",
        "but",
        "so",
        "if",
        "then",
        "than",
        "this",
        "that",
        "these",
        "those",
        "there",
        "here",
        "it",
        "its",
        "to",
        "of",
        "in",
        "on",
        "at",
        "by",
        "for",
        "from",
        "with",
        "about",
        "into",
        "over",
        "under",
        "again",
        "also",
        "any",
        "some",
        "what",
        "when",
        "where",
        "which",
        "who",
        "whom",
        "why",
        "how",
        "much",
        "many",
        "anyone",
        "someone",
        "somebody",
        "something",
        "anything",
        "let",
        "lets",
        "able",
        "possible",
        "go",
        "going",
        "info",
        "information",
        "council",
        "councils",
    ]
)
FILLER_CY = frozenset(
    [
        "helo",
        "shwmae",
        "haia",
        "bore",
        "da",
        "prynhawn",
        "noswaith",
        "diolch",
        "plis",
        "os",
        "gwelwch",
        "yn",
        "dda",
        "a",
        "ac",
        "ar",
        "at",
        "am",
        "y",
        "yr",
        "r",
        "i",
        "o",
        "yn",
        "mae",
        "ydw",
        "ydy",
        "ydi",
        "oes",
        "sut",
        "beth",
        "pryd",
        "ble",
        "pam",
        "fy",
        "dy",
        "ei",
        "ein",
        "eich",
        "eu",
        "gyda",
        "ag",
        "ac",
        "neu",
        "ond",
        "hefyd",
        "gallaf",
        "galla",
        "alla",
        "allaf",
        "allwch",
        "gallwch",
        "gallai",
        "hoffwn",
        "isio",
        "eisiau",
        "angen",
        "dw",
        "dwi",
        "rwy",
        "rydw",
        "rydyn",
        "chi",
        "fi",
        "ti",
        "ni",
        "nhw",
        "efo",
        "yma",
        "hwn",
        "hon",
        "yw",
        "sydd",
        "wedi",
        "bod",
        "ddim",
        "na",
        "nid",
        "fe",
        "mi",
        "gen",
        "gennyf",
        "gennym",
        "ga",
        "gaf",
        "cael",
        "hyn",
        "hynny",
        "dweud",
        "wrtha",
        "wrthyf",
        "help",
        "helpu",
        "cymorth",
        "cyngor",
        "gyngor",
        "nghyngor",
        "chyngor",
        "fod",
        "oedd",
        "roedd",
    ]
)


def fold(text: str) -> str:
    """Lower case without accents ("Tân" → "tan"), as PostgreSQL's unaccent would."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def words(text: str) -> list[str]:
    """The words of `text`, folded, apostrophes joined ("don't" → "dont")."""
    folded = fold(text).replace("'", "").replace("\u2019", "")
    return _WORD.findall(folded)


@dataclass(frozen=True)
class SynonymGroup:
    canonical: tuple[str, ...]
    variants: tuple[tuple[str, ...], ...]


def synonym_groups(rows: Iterable[str]) -> list[SynonymGroup]:
    """Groups from the council's lines ("parking fine, pcn, penalty charge notice")."""
    groups = []
    for row in rows:
        terms = [tuple(words(t)) for t in row.split(",")]
        terms = [t for t in terms if t]
        if len(terms) >= 2:
            groups.append(SynonymGroup(terms[0], tuple(terms[1:])))
    return groups


def apply_synonyms(tokens: Sequence[str], groups: Sequence[SynonymGroup]) -> list[str]:
    """Replace each variant with its group's first term, longest variants first."""
    if not groups:
        return list(tokens)
    variants = sorted(
        ((v, g.canonical) for g in groups for v in g.variants), key=lambda p: -len(p[0])
    )
    out: list[str] = []
    i = 0
    while i < len(tokens):
        for variant, canonical in variants:
            n = len(variant)
            if tuple(tokens[i : i + n]) == variant:
                out.extend(canonical)
                i += n
                break
        else:
            out.append(tokens[i])
            i += 1
    return out


def expand_text_speak(tokens: Iterable[str]) -> list[str]:
    out: list[str] = []
    for token in tokens:
        for part in TEXT_SPEAK.get(token, token).split():  # "didnt" → "did not" → "did miss"
            out.append(TEXT_SPEAK.get(part, part) if part != token else part)
    return out


def _content_tokens(text: str, language: str) -> list[str]:
    filler = FILLER_CY if language == "cy" else FILLER_EN
    return [t for t in expand_text_speak(words(text)) if t not in filler]


def synonym_groups_for(rows: Iterable[str], language: str) -> list[SynonymGroup]:
    """Groups with filler words taken out of every term, as questions will be."""
    groups = []
    for row in rows:
        terms = [tuple(_content_tokens(t, language)) for t in row.split(",")]
        terms = [t for t in terms if t]
        if len(terms) >= 2:
            groups.append(SynonymGroup(terms[0], tuple(terms[1:])))
    return groups


def content_text(text: str, language: str, groups: Sequence[SynonymGroup]) -> str:
    """The words that matter, synonyms read as the council's own word: what is indexed for
    a phrasing and searched for a question. Filler goes first, so "hole in road" meets the
    synonym "hole in the road"."""
    return " ".join(apply_synonyms(_content_tokens(text, language), groups))


# ---- safety -------------------------------------------------------------------------------

# Danger to life and safeguarding. Matched on words, tolerant of one or two typing slips,
# never on part of a word (so "fine" is not "fire", and "bonfire" is not "fire").
DEFAULT_TRIGGERS_EN = """
suicide
suicidal
kill myself
killing myself
end my life
end it all
take my own life
want to die
wanna die
self harm
selfharm
hurt herself
hurt himself
hurt themselves
harm herself
harm himself
kill herself
kill himself
going to hurt me
will hurt me
hurt me
kill me
dont want to be alive
not want to be alive
dont want to live
no reason to live
harm myself
hurt myself
hurting myself
cut myself
cutting myself
overdose
overdosed
abuse
abused
abusing
abuser
abusive
domestic violence
violence
violent
assault
assaulted
attacked
attacking me
rape
raped
sexually
hits me
hitting me
beats me
beat me
beaten
threatening to kill
threatened to kill
going to kill
knife
stabbed
gun
weapon
child at risk
child in danger
adult at risk
at risk of harm
in danger
danger to life
not safe at home
unsafe at home
scared for my life
neglected child
child neglect
grooming
groomed
exploited
exploitation
trafficking
trafficked
forced marriage
fgm
missing child
fire
on fire
house fire
gas leak
smell gas
smell of gas
smells of gas
gas smell
carbon monoxide
explosion
not breathing
unconscious
"""
DEFAULT_TRIGGERS_CY = """
hunanladdiad
lladd fy hun
ladd fy hun
hunan niweidio
hunan niwed
niweidio fy hun
brifo fy hun
eisiau marw
isio marw
cam drin
camdrin
cham drin
chamdrin
gam drin
gamdrin
ngham drin
nghamdrin
trais
treisio
ymosod
ymosodwyd
ymosodiad
cyllell
plentyn mewn perygl
oedolyn mewn perygl
mewn perygl
perygl i fywyd
ddim yn ddiogel
diogelu
ar dan
mae tan
tan yn y
nwy
gollyngiad nwy
arogl nwy
carbon monocsid
ffrwydrad
ddim yn anadlu
anymwybodol
"""


class TriggerSet(tuple):
    """The triggers, with an index by the first and last letter of their first word: a
    word that matches (exactly, with an ending, or with a slip) keeps one of the two, so a
    message is compared with a few triggers instead of all of them."""

    index: dict[str, list[int]]


@functools.lru_cache(maxsize=256)
def trigger_list(extra: str = "") -> TriggerSet:
    """The built-in triggers in both languages plus the council's own (one a line)."""
    lines = [*DEFAULT_TRIGGERS_EN.splitlines(), *DEFAULT_TRIGGERS_CY.splitlines()]
    lines += extra.splitlines()
    found: list[tuple[str, ...]] = []
    for line in lines:
        tokens = tuple(words(line))
        if tokens and tokens not in found:
            found.append(tokens)
    triggers = TriggerSet(found)
    triggers.index = {}
    for position, trigger in enumerate(found):
        for key in {"^" + trigger[0][0], trigger[0][-1] + "$"}:
            triggers.index.setdefault(key, []).append(position)
    return triggers


def osa_distance(a: str, b: str, limit: int = 3) -> int:
    """Edit distance counting a swap of neighbours as one slip (optimal string alignment)."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[-1]


_SUFFIXES = ("s", "es", "ed", "d", "ing", "er", "ers", "ive", "ful")


def _word_matches(token: str, trigger: str, in_phrase: bool) -> bool:
    """Exact, an ending added ("harming", "abused"), or a typing slip: one edit in a word of
    5 to 7 letters, two from 8. Short words alone ("gas", "fire") only exactly, so "fine"
    is never "fire"; inside a phrase ("gas leak") a 4-letter word may have one slip."""
    if token == trigger:
        return True
    if token.startswith(trigger) and token[len(trigger) :] in _SUFFIXES:
        return True
    if len(trigger) < 4 or (len(trigger) == 4 and not in_phrase):
        return False
    allowed = 1 if len(trigger) < 8 else 2
    if abs(len(token) - len(trigger)) > allowed:
        return False
    if token[0] != trigger[0] and token[-1] != trigger[-1]:
        return False  # cheap test first: a slip rarely changes both ends
    return osa_distance(token, trigger, allowed) <= allowed


def safety_trigger(text: str, triggers: Sequence[tuple[str, ...]]) -> str | None:
    """The trigger a message contains (words in order, each allowing a typing slip), or None."""
    tokens = words(text)
    index = getattr(triggers, "index", None)
    if index is not None:
        near: set[int] = set()
        for token in tokens:
            near.update(index.get("^" + token[0], ()))
            near.update(index.get(token[-1] + "$", ()))
        triggers = [triggers[i] for i in sorted(near)]
    for trigger in triggers:
        n = len(trigger)
        phrase = n > 1
        for i in range(len(tokens) - n + 1):
            if all(_word_matches(tokens[i + k], trigger[k], phrase) for k in range(n)):
                return " ".join(trigger)
        # "self-harm" typed as "selfharm", "cam-drin" as "camdrin"
        if phrase:
            glued = "".join(trigger)  # exactly, or with an ending: "bonfire" is not "onfire"
            if any(
                t == glued or (t.startswith(glued) and t[len(glued) :] in _SUFFIXES) for t in tokens
            ):
                return " ".join(trigger)
    return None


# ---- asking for a person ---------------------------------------------------------------------

_PERSON = frozenset(
    [
        "human",
        "person",
        "people",
        "someone",
        "somebody",
        "agent",
        "operator",
        "adviser",
        "advisor",
        "representative",
        "rep",
        "staff",
        "officer",
        "real",
        "live",
        "pherson",
        "berson",
        "person",
        "rhywun",
        "dyn",
        "ddyn",
        "bod",
        "dynol",
        "ymgynghorydd",
        "aelod",
        "swyddog",
    ]
)
_TALK = frozenset(
    [
        "talk",
        "speak",
        "chat",
        "connect",
        "transfer",
        "put",
        "through",
        "contact",
        "siarad",
        "sgwrsio",
        "cysylltu",
    ]
)
_POLITE = frozenset(
    [
        "i",
        "want",
        "to",
        "a",
        "an",
        "the",
        "please",
        "can",
        "could",
        "may",
        "would",
        "like",
        "need",
        "get",
        "me",
        "with",
        "speak",
        "talk",
        "chat",
        "real",
        "live",
        "actual",
        "proper",
        "let",
        "now",
        "just",
        "ok",
        "okay",
        "yes",
        "id",
        "wanna",
        "gimme",
        "give",
        "someone",
        "to",
        "i",
        "a",
        "siarad",
        "a",
        "gyda",
        "efo",
        "hoffwn",
        "isio",
        "eisiau",
        "plis",
        "os",
        "gwelwch",
        "yn",
        "dda",
        "ga",
        "i",
        "ag",
        "gael",
    ]
)


def asks_for_person(text: str) -> bool:
    """Whether a message asks for a person ("talk to a person", "human", "siarad â pherson").

    A person word with a talking word anywhere, or a short message of nothing but a person
    word and politeness ("real person please"), but not "pay in person".
    """
    tokens = expand_text_speak(words(text))
    if not tokens or len(tokens) > 14:
        return False
    has_person = any(t in _PERSON for t in tokens) or "bod dynol" in " ".join(tokens)
    if not has_person:
        return False
    if any(t in _TALK for t in tokens):
        return True
    return all(t in _PERSON or t in _POLITE for t in tokens)
