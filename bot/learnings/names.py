"""The names of the learnings, indexed for lookups and autocomplete: how well what a member
typed names each of them, typos forgiven.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from bot.core.query import CONTEXT_WORDS
from bot.core.text import normalise
from bot.learnings.model import Learning

SUGGEST_SCORE = 60.0  # below this a candidate is not worth suggesting
TYPO_SCORE = 80.0  # a word this close to a word of a name is that word mistyped


def words_named(key: str, entry: Learning) -> float:
    """The share of the words of `key` that one name of `entry` holds (typed whole, begun, or
    mistyped): a lookup of several words is not answered by a name sharing one of them
    ("continuous learning" is not "continuous delivery"). Framework names are where the
    question lives ("pagination drf"), not what must be named.
    """
    typed = [k for k in key.split() if k not in CONTEXT_WORDS] or key.split()
    best = 0
    compact = "".join(typed)
    for name in entry.names:
        words = normalise(name).split()
        if compact in "".join(words):  # "foreign key" is the name "ForeignKey"
            return 1.0
        found = sum(
            1
            for k in typed
            if any(w.startswith(k) or fuzz.ratio(k, w) >= TYPO_SCORE for w in words)
        )
        best = max(best, found)
    return best / len(typed) if typed else 0.0


def name_score(key: str, name: str) -> float:
    """How well the normalised query `key` names `name` (0-100; 200 for an exact match)."""
    if name == key:
        return 200.0
    if name.startswith(key):
        return 100.0 - 0.1 * (len(name) - len(key))
    score = max(fuzz.ratio(key, name), fuzz.token_sort_ratio(key, name))
    # The start of the name, or one of its words, typed with a typo; letters merely shared
    # are no match ("blockchain" is not "blocking").
    if len(key) >= 3 and (prefix := fuzz.ratio(key, name[: len(key)])) >= TYPO_SCORE:
        score = max(score, 0.95 * prefix)
    if len(key) >= 4 and " " not in key:
        word_score = max(fuzz.ratio(key, word) for word in name.split())
        if word_score >= TYPO_SCORE:
            score = max(score, 0.9 * word_score)
    return score


def starting(key: str, index: NameIndex) -> dict[int, float]:
    """`name_score(key, name)` of every name of `index` that starts with `key` (or is it),
    by the name's place: a binary search of the sorted names.
    """
    scores: dict[int, float] = {}
    names = index.sorted_names
    for place in range(bisect_left(names, key), len(names)):
        if not names[place].startswith(key):
            break
        scores[index.sorted_at[place]] = name_score(key, names[place])
    return scores


def named(key: str, index: NameIndex, starts: dict[int, float]) -> dict[int, float]:
    """`name_score(key, name)` for every name of `index` it scores SUGGEST_SCORE or more,
    by the name's place (`starts`: `starting(key, index)`): each other part of the score is
    one pass of rapidfuzz over every name (or every word of them) keeping only what can reach
    SUGGEST_SCORE, in C.
    """
    scores: dict[int, float] = {}

    def keep(found: list[tuple[str, float, int]], weight: float = 1.0) -> None:
        for _, score, at in found:
            if weight * score > scores.get(at, 0.0):
                scores[at] = weight * score

    names = index.names
    for scorer in (fuzz.ratio, fuzz.token_sort_ratio):
        keep(process.extract(key, names, scorer=scorer, limit=None, score_cutoff=SUGGEST_SCORE))
    if len(key) >= 3:
        heads = [name[: len(key)] for name in names]
        keep(process.extract(key, heads, scorer=fuzz.ratio, limit=None, score_cutoff=TYPO_SCORE),
             0.95)  # fmt: skip
    if len(key) >= 4 and " " not in key:
        found = process.extract(
            key, index.words, scorer=fuzz.ratio, limit=None, score_cutoff=TYPO_SCORE
        )
        for _, score, word in found:
            keep([("", score, at) for at in index.word_names[word]], 0.9)
    return scores | starts  # a name that starts with `key` scores by that alone


@dataclass(slots=True)
class NameIndex:
    """The distinct normalised names of some entries (a slug and a title often normalise to
    the same name), each with the entries it names, also in sorted order for prefix lookups.
    """

    names: list[str] = field(default_factory=list)
    slugs: list[list[str]] = field(default_factory=list)
    sorted_names: list[str] = field(default_factory=list)
    sorted_slugs: list[list[str]] = field(default_factory=list)
    sorted_at: list[int] = field(default_factory=list)  # each sorted name's place in `names`
    # The distinct words of the names, each with the places of the names holding it.
    words: list[str] = field(default_factory=list)
    word_names: list[list[int]] = field(default_factory=list)

    def add(self, key: str, slug: str, positions: dict[str, int]) -> None:
        """Index `key` as a name of `slug` (`positions`: each name's place, while adding)."""
        at = positions.get(key)
        if at is None:
            positions[key] = len(self.names)
            self.names.append(key)
            self.slugs.append([slug])
        elif slug not in self.slugs[at]:
            self.slugs[at].append(slug)

    def seal(self) -> None:
        """Once every name is added: the sorted names and the words, for `named`."""
        order = sorted(range(len(self.names)), key=self.names.__getitem__)
        self.sorted_names = [self.names[i] for i in order]
        self.sorted_slugs = [self.slugs[i] for i in order]
        self.sorted_at = order
        holders: dict[str, list[int]] = {}
        for at, name in enumerate(self.names):
            for word in dict.fromkeys(name.split()):
                holders.setdefault(word, []).append(at)
        self.words, self.word_names = list(holders), list(holders.values())
