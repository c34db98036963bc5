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
from typing import NamedTuple

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
# The same with "+" and "#", which `NAME_SPLIT_RE` keeps in words ("c++", "c#").
_NAME_BYTES = bytes(c if chr(c) in ascii_lowercase + digits + "+#" else 32 for c in range(256))


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


FUZZY = 85  # how alike (rapidfuzz's ratio) a name's word and an asked word of 5+ letters match


def _matches(term: str, word: str) -> bool:
    if term == word:
        return True
    return len(term) >= 5 and len(word) >= 5 and fuzz.ratio(term, word, score_cutoff=FUZZY) >= FUZZY


@dataclass(frozen=True, slots=True)
class _Asked:
    """A question's terms, stemmed once for every candidate: per asked term the words that
    count for it, and every word (context and alternatives included).

    `hits` remembers, per word of a name, which of `every` it matches (bit i for `every[i]`):
    the candidates' names share most of their words, so each is compared with the question's
    words once per search instead of once per name.
    """

    asked: tuple[tuple[str, ...], ...]
    every: tuple[str, ...]
    groups: tuple[int, ...]  # per asked term, the bits of its words in `every`
    hits: dict[str, int]

    @classmethod
    def of(cls, understood: Understood) -> _Asked:
        found = [
            (term.context, tuple(stem(p) for w in term.words for p in NAME_SPLIT_RE.split(w) if p))
            for term in understood.terms
        ]
        asked = tuple(words for context, words in found if not context)
        every = tuple(dict.fromkeys(w for _, words in found for w in words))
        at = {word: i for i, word in enumerate(every)}
        groups = tuple(sum(1 << at[w] for w in set(words)) for words in asked)
        return cls(asked, every, groups, {})

    def matched(self, word: str) -> int:
        """The bits of the words of `every` that `word` (of a name) matches."""
        bits = self.hits.get(word)
        if bits is None:
            bits = self.hits[word] = sum(
                1 << i for i, term in enumerate(self.every) if _matches(term, word)
            )
        return bits


def name_score(names: Sequence[tuple[str, ...]], asked: _Asked) -> float:
    """How well one of an entry's names (their words: `EntryWords.names`) says what the
    question asks (0-1).

    A name scores by the share of its words the question holds (an alias "n+1 queries" is
    wholly in "how do I stop n+1 queries"), times how much of the question it covers (a term
    is covered when the name holds it or a word meaning the same; context does not count).
    """
    if not asked.asked:
        return 0.0
    best = 0.0
    for words in names:
        bits = [asked.matched(w) for w in words]
        held = sum(1 for b in bits if b)
        if not held:
            continue
        union = 0
        for b in bits:
            union |= b
        covered = sum(1 for group in asked.groups if group & union)
        best = max(best, (held / len(words)) * (0.5 + 0.5 * covered / len(asked.asked)))
    return best


def text_words(entry: Learning) -> tuple[str, ...]:
    """The distinct stemmed words of everything the entry says, sorted (see `holds`): a
    tuple of shared strings is a fifth of the memory of a set, so every entry's can be kept.
    """
    text = " ".join((*entry.names, *entry.tags, entry.summary, entry.body))
    # The words `NAME_SPLIT_RE` splits the folded text into, split by C code (half the time).
    split = fold(text).encode("ascii", "replace").translate(_NAME_BYTES).split()
    return tuple(sorted({stem(word.decode("ascii")) for word in set(split)}))


def holds(words: Sequence[str], word: str) -> bool:
    """Whether the sorted `words` hold `word`."""
    at = bisect_left(words, word)
    return at < len(words) and words[at] == word


class EntryWords(NamedTuple):
    """What reranking reads of an entry, split and stemmed once (a service keeps them)."""

    names: tuple[tuple[str, ...], ...]  # each distinct name's words, the slug's among them
    text: tuple[str, ...]  # `text_words`


def entry_words(entry: Learning) -> EntryWords:
    """The entry's words as reranking reads them (a name of stopwords only has none)."""
    names = (_name_words(name) for name in (*entry.names, entry.slug.replace("-", " ")))
    return EntryWords(tuple(dict.fromkeys(words for words in names if words)), text_words(entry))


WordsOf = Callable[[Learning], EntryWords]


def text_score(words: Sequence[str], asked: _Asked) -> float:
    """The share of what the question asks that the entry's text (`text_words`) holds (0-1)."""
    if not asked.asked:
        return 0.0
    held = sum(1 for group in asked.asked if any(holds(words, w) for w in group))
    return held / len(asked.asked)


def rerank(
    candidates: Sequence[tuple[Learning, float]],
    understood: Understood,
    words_of: WordsOf = entry_words,
) -> list[tuple[Learning, float]]:
    """The candidates (each with its bm25 score: lower is better) best first; `words_of`
    gives an entry's `EntryWords` (a service keeps them).
    """
    if not candidates:
        return []
    asked = _Asked.of(understood)
    strengths = [-score for _, score in candidates]
    top = max(strengths) or 1.0
    ranked = []
    for (entry, _), strength in zip(candidates, strengths, strict=True):
        text = strength / top if top > 0 else 0.0
        words = words_of(entry)
        score = (
            NAME_WEIGHT * name_score(words.names, asked)
            + INDEX_WEIGHT * text
            + COVER_WEIGHT * text_score(words.text, asked)
            + KIND_BONUS.get(entry.kind, 0.0)
        )
        ranked.append((entry, score))
    ranked.sort(key=lambda pair: (-pair[1], pair[0].title))
    return ranked
