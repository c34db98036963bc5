"""A learner's question reduced to what it asks for, shared by every search of Nexus.

Learners type questions ("how do I stop n+1 queries in django"), not keywords. `understand`
keeps the words that carry meaning: question words and filler go, technical tokens stay whole
(`n+1`, `select_related`, `ci/cd`, `.env`, `3nf`, `429`), a misspelt word is read as the closest
word the searched text uses (when the caller knows those words), words learners use for the same
thing are added (`job` finds `task`), and plain-English phrases add the terms they describe
("too many requests" is rate limiting).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz, process

TOKEN_RE = re.compile(r"\.?[a-z0-9]+(?:[._+#/'-]+[a-z0-9]+)*[+#]*", re.IGNORECASE)
WORD_RE = re.compile(r"[a-z0-9]+")
NAME_SPLIT_RE = re.compile(r"[^a-z0-9+#]+")

# Words that ask rather than name: the question, the asker, filler. Framework names are not here:
# "django" in "permissions in django" is weak (most entries mention it), not meaningless; the
# index's idf weighs it.
_STOPWORDS = """
    a about after again all also am an and any anyone are as at be been before being best
    better between both but by can cant could did do does doing dont done each else even
    ever every explain explained for from get gets getting give go going good got guide had
    has have having hello help hey hi how i id ill im in into is isnt it its just keep know
    learn let like look make makes making me mean means might more most much my need needs
    new no not now of off ok okay on one only or other our out own please possible pro
    properly question really right same see should show so some someone something still such
    sure take tell than thanks that thats the their them then there these they thing things
    this those thx to too tried trying u under understand up us use used using ve vs versus
    want wants was way ways we well were what whats when where which while who why will with
    without work works would wrong ya yes you your youre
"""
STOPWORDS = frozenset(_STOPWORDS.split())

# Words learners use for what the knowledge base names otherwise (both ways where it makes
# sense). Only the vocabulary of backend work: nothing here names a particular entry.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "job": ("task",),
    "jobs": ("tasks",),
    "task": ("job",),
    "tasks": ("jobs",),
    "db": ("database",),
    "database": ("db",),
    "auth": ("authentication",),
    "login": ("authentication",),
    "perms": ("permissions",),
    "rights": ("permissions",),
    "roles": ("permissions",),
    "env": ("environment",),
    "docs": ("documentation",),
    "k8s": ("kubernetes",),
    "pg": ("postgresql",),
    "postgres": ("postgresql",),
    "slow": ("performance",),
    "speed": ("performance",),
    "faster": ("performance",),
    "nightly": ("schedule",),
    "night": ("schedule",),
    "daily": ("schedule",),
    "twice": ("duplicate",),
    "repeated": ("duplicate",),
    "old": ("stale",),
    "outdated": ("stale",),
    "leak": ("leaked",),
    "password": ("secrets",),
    "passwords": ("secrets",),
    "credentials": ("secrets",),
    "count": ("aggregate", "annotate"),
    "sum": ("aggregate", "annotate"),
    "average": ("aggregate", "annotate"),
    "total": ("aggregate", "annotate"),
    "pushed": ("committed",),
}

# Phrases that say in plain words what a term of the trade names.
PHRASES: dict[str, tuple[str, ...]] = {
    "background job": ("celery", "task"),
    "background jobs": ("celery", "tasks"),
    "too many requests": ("rate", "limiting", "throttling"),
    "all or nothing": ("transaction", "atomic"),
    "every request": ("middleware",),
    "after save": ("post_save", "signals"),
    "after saving": ("post_save", "signals"),
    "image smaller": ("multi-stage", "builds"),
    "images smaller": ("multi-stage", "builds"),
}

# A framework named after one of these says where the question lives ("pagination in django
# rest framework"), not what it asks.
CONTEXT_PREPOSITIONS = frozenset({"in", "with", "using", "for", "on", "from"})
CONTEXT_WORDS = frozenset(
    {"django", "drf", "rest", "framework", "python", "py", "app", "project", "api", "apis"}
)

MIN_FIX_LENGTH = 4  # shorter words are not corrected: too many real words are one letter off
FIX_SCORE = 80.0  # how close a misspelt word must be to the word it is read as


@dataclass(frozen=True, slots=True)
class Term:
    """A word of the question that carries meaning, with the words that mean the same."""

    word: str
    alternatives: tuple[str, ...] = ()
    context: bool = False  # "in django": where the question lives, not what it asks
    phrase: bool = False  # named by a plain-English phrase of the question, not typed

    @property
    def words(self) -> tuple[str, ...]:
        """The word and its alternatives."""
        return (self.word, *self.alternatives)


@dataclass(frozen=True, slots=True)
class Understood:
    """A question reduced to what it asks for: its terms, and the terms its phrases name."""

    terms: tuple[Term, ...]

    def text(self) -> str:
        """Every word, once, as free text for the full-text index (it quotes each as a phrase)."""
        return " ".join(dict.fromkeys(w for term in self.terms for w in term.words))

    def core_text(self) -> str:
        """The words as typed (spelling corrected), without context, alternatives or phrases'
        terms: what an entry must hold all of to cover the question.
        """
        return " ".join(t.word for t in self.terms if not t.context and not t.phrase)


def fold(text: str) -> str:
    """Case- and width-blind text."""
    return unicodedata.normalize("NFKC", text).casefold()


@lru_cache(maxsize=65536)  # a few thousand words make most text: each is stemmed once
def stem(word: str) -> str:
    """A light English stem, enough to match names: plural and verb endings off."""
    for ending, keep in (("ies", "y"), ("sses", "ss"), ("es", "e"), ("s", "")):
        if word.endswith(ending) and len(word) - len(ending) >= 3 and not word.endswith("ss"):
            return word[: -len(ending)] + keep
    for ending in ("ing", "ed"):
        if word.endswith(ending) and len(word) - len(ending) >= 4:
            return word[: -len(ending)]
    return word


def _corrected(token: str, known: frozenset[str], sorted_known: Sequence[str]) -> str:
    """`token`, or the known word it is a typo of."""
    parts = WORD_RE.findall(token)
    if len(parts) != 1 or parts[0] in known or len(token) < MIN_FIX_LENGTH:
        return token
    found = process.extractOne(
        token, sorted_known, scorer=fuzz.ratio, score_cutoff=FIX_SCORE, processor=None
    )
    return found[0] if found else token


def understand(
    query: str, known: frozenset[str] = frozenset(), sorted_known: Sequence[str] = ()
) -> Understood:
    """What `query` asks for: meaningful terms (typos read as `known` words), what they mean
    in other words, and the terms its plain-English phrases name.
    """
    tokens = [t.strip("'").removesuffix("'s") for t in TOKEN_RE.findall(fold(query))]
    tokens = [t for t in tokens if t]
    if known:
        tokens = [t if t in STOPWORDS else _corrected(t, known, sorted_known) for t in tokens]
    terms: dict[str, Term] = {}
    after_preposition = False
    for token in tokens:
        if token.replace("'", "") in STOPWORDS:
            after_preposition = token in CONTEXT_PREPOSITIONS
            continue
        context = after_preposition and token in CONTEXT_WORDS
        if token not in terms:
            terms[token] = Term(token, SYNONYMS.get(token, ()), context)
    if not terms:  # a question of filler only ("how to") still searches for what it says
        terms = {t: Term(t) for t in tokens}
    joined = f" {' '.join(WORD_RE.findall(' '.join(tokens)))} "
    for phrase, words in PHRASES.items():
        if f" {phrase} " in joined:
            terms.setdefault(phrase, Term(words[0], words[1:], phrase=True))
    return Understood(tuple(terms.values()))
