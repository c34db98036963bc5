"""Searching the learnings with a learner's question: what answers it best.

Full-text search alone ranks by every word, so in "how do I stop n+1 queries in django" the words
*how*, *stop*, *in* and *django* carry the ranking. Here:

1. `bot.core.query.understand` keeps the words that carry meaning (misspelt words read as words
   of the knowledge base, `vocabulary`).
2. The full-text index finds the candidates holding any of those words, ranked by bm25 with the
   title and aliases weighted far above the body.
3. `rerank` orders the candidates by how well their *names* (title, aliases, slug) answer the
   question, then by the index's score, then concepts and challenges before tips.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from string import ascii_lowercase, digits

from rapidfuzz import fuzz

from bot.core.query import NAME_SPLIT_RE, STOPWORDS, Understood, fold, stem
from bot.learnings.model import Learning

# How the candidates are ordered: by their names first, then by the index's score and by how
# much of the question their text holds (every word beats some words).
NAME_WEIGHT = 0.55
INDEX_WEIGHT = 0.3
COVER_WEIGHT = 0.15
KIND_BONUS = {"concept": 0.08, "challenge": 0.06, "tip": 0.0}


# Every byte but a-z and 0-9 made a space: the words of `bot.core.query.WORD_RE`, split by C
# code. A start-up reads megabytes of bodies; the regular expression's matches took twice as long.
_WORD_BYTES = bytes(c if chr(c) in ascii_lowercase + digits else 32 for c in range(256))


def vocabulary(entries: Iterable[Learning]) -> frozenset[str]:
    """Every word the knowledge base uses (names, tags, summaries, bodies), for spelling:
    the words `bot.core.query.WORD_RE` finds in the folded text (a character outside ASCII
    ends a word, as there).
    """
    words: set[bytes] = set()
    for entry in entries:
        for text in (*entry.names, *entry.tags, entry.summary, entry.body):
            words.update(fold(text).encode("ascii", "replace").translate(_WORD_BYTES).split())
    return frozenset(word.decode("ascii") for word in words)


def _name_words(name: str) -> tuple[str, ...]:
    return tuple(stem(w) for w in NAME_SPLIT_RE.split(fold(name)) if w and w not in STOPWORDS)


# Neither this nor `_name_words` is cached: in the benchmark the caches held 26,000 pairs and
# 8,192 names (several MB of the bot's memory) and made /search no faster.
def _matches(term: str, word: str) -> bool:
    if term == word:
        return True
    return len(term) >= 5 and len(word) >= 5 and fuzz.ratio(term, word) >= 85


@dataclass(frozen=True, slots=True)
class _Asked:
    """A question's terms, stemmed once for every candidate: per asked term the words that
    count for it, and every word (context and alternatives included).
    """

    asked: tuple[tuple[str, ...], ...]
    every: tuple[str, ...]

    @classmethod
    def of(cls, understood: Understood) -> _Asked:
        groups = [
            (term.context, tuple(stem(p) for w in term.words for p in NAME_SPLIT_RE.split(w) if p))
            for term in understood.terms
        ]
        asked = tuple(words for context, words in groups if not context)
        return cls(asked, tuple(dict.fromkeys(w for _, words in groups for w in words)))


def name_score(entry: Learning, asked: _Asked) -> float:
    """How well one of the entry's names says what the question asks (0-1).

    A name scores by the share of its words the question holds (an alias "n+1 queries" is
    wholly in "how do I stop n+1 queries"), times how much of the question it covers (a term
    is covered when the name holds it or a word meaning the same; context does not count).
    """
    if not asked.asked:
        return 0.0
    best = 0.0
    for name in (*entry.names, entry.slug.replace("-", " ")):
        words = _name_words(name)
        if not words:
            continue
        held = sum(1 for w in words if any(_matches(t, w) for t in asked.every))
        if not held:
            continue
        covered = sum(
            1 for group in asked.asked if any(_matches(t, w) for t in group for w in words)
        )
        best = max(best, (held / len(words)) * (0.5 + 0.5 * covered / len(asked.asked)))
    return best


def text_words(entry: Learning) -> tuple[str, ...]:
    """The distinct stemmed words of everything the entry says, sorted (see `holds`): a
    tuple of shared strings is a fifth of the memory of a set, so every entry's can be kept.
    """
    text = " ".join((*entry.names, *entry.tags, entry.summary, entry.body))
    return tuple(sorted({stem(w) for w in set(NAME_SPLIT_RE.split(fold(text))) if w}))


def holds(words: Sequence[str], word: str) -> bool:
    """Whether the sorted `words` hold `word`."""
    at = bisect_left(words, word)
    return at < len(words) and words[at] == word


WordsOf = Callable[[Learning], Sequence[str]]


def text_score(entry: Learning, asked: _Asked, words_of: WordsOf = text_words) -> float:
    """The share of what the question asks that the entry's text holds (0-1)."""
    if not asked.asked:
        return 0.0
    words = words_of(entry)
    held = sum(1 for group in asked.asked if any(holds(words, w) for w in group))
    return held / len(asked.asked)


def rerank(
    candidates: Sequence[tuple[Learning, float]],
    understood: Understood,
    words_of: WordsOf = text_words,
) -> list[tuple[Learning, float]]:
    """The candidates (each with its bm25 score: lower is better) best first; `words_of`
    gives an entry's `text_words` (a service keeps them).
    """
    if not candidates:
        return []
    asked = _Asked.of(understood)
    strengths = [-score for _, score in candidates]
    top = max(strengths) or 1.0
    ranked = []
    for (entry, _), strength in zip(candidates, strengths, strict=True):
        text = strength / top if top > 0 else 0.0
        score = (
            NAME_WEIGHT * name_score(entry, asked)
            + INDEX_WEIGHT * text
            + COVER_WEIGHT * text_score(entry, asked, words_of)
            + KIND_BONUS.get(entry.kind, 0.0)
        )
        ranked.append((entry, score))
    ranked.sort(key=lambda pair: (-pair[1], pair[0].title))
    return ranked
