"""Free text to PostgreSQL text-search queries (pure): what `bot.db.search.postgresql` runs.

A query is kept as phrases of word characters (`Query`, encoded as a small JSON document: the
"language" the search interface passes around), and each phrase becomes a bound parameter of
`phraseto_tsquery` when the statement is built (`Query.sql`): quotes, `&`, `|`, `!`, `:*` and
parentheses typed by members are only ever text.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any

from bot.core.text import MAX_QUERY_CHARS, WORD_RE
from bot.db.search.base import HIGHLIGHT_CLOSE, HIGHLIGHT_OPEN

CONFIG = "english"  # stemming as FTS5's porter tokenizer does, on both sides of a match
MAX_TERMS = 16  # phrases kept from one query, as on SQLite


@dataclass(frozen=True, slots=True)
class Query:
    """A search as the PostgreSQL indexes run it: rows holding every phrase of one of `groups`
    (in the column `column`); the last phrase of each group a prefix when `prefix` is set.

    Phrases are words of word characters separated by single spaces.
    """

    groups: tuple[tuple[str, ...], ...]
    column: str = "document"
    prefix: bool = False
    # Terms as typed when punctuation joins their words (`node.js`): what ts_headline's
    # parser reads as one word in the text shown, so that it is highlighted too.
    spelled: tuple[str, ...] = ()

    def encode(self) -> str:
        """As the string the interface passes around."""
        groups = [list(g) for g in self.groups]
        return json.dumps([self.column, self.prefix, groups, list(self.spelled)])

    @classmethod
    def decode(cls, raw: str) -> Query:
        """Back from `encode`."""
        column, prefix, groups, spelled = json.loads(raw)
        return cls(tuple(tuple(g) for g in groups), column, prefix, tuple(spelled))

    def sql(self, name: str, *, spelled: bool = False) -> tuple[str, dict[str, Any]]:
        """A tsquery expression and its parameters (named after `name`); with `spelled`, for
        highlighting: the terms as typed match too.
        """
        params: dict[str, Any] = {}
        ors: list[str] = []
        for g, group in enumerate(self.groups):
            ands: list[str] = []
            for p, phrase in enumerate(group):
                key = f"{name}_{g}_{p}"
                last = p == len(group) - 1
                if self.prefix and last:
                    # The unfinished word as a prefix: word characters only, never an operator.
                    words = phrase.split(" ")
                    if len(words) > 1:
                        params[key] = " ".join(words[:-1])
                        ands.append(f"phraseto_tsquery('{CONFIG}', :{key})")
                    params[f"{key}_p"] = words[-1]
                    ands.append(f"to_tsquery('simple', :{key}_p || ':*')")
                else:
                    params[key] = phrase
                    ands.append(f"phraseto_tsquery('{CONFIG}', :{key})")
            ors.append("(" + " && ".join(ands) + ")")
        if spelled:
            for n, term in enumerate(self.spelled):
                params[f"{name}_s{n}"] = term
                ors.append(f"plainto_tsquery('{CONFIG}', :{name}_s{n})")
        return "(" + " || ".join(ors) + ")", params


def phrases(raw: str) -> list[str]:
    """The phrases of free text: each whitespace-separated term's word characters, in order,
    without repeats, at most MAX_TERMS (`c++` -> `c`, `node.js` -> `node js`).
    """
    found: list[str] = []
    for chunk in raw[:MAX_QUERY_CHARS].split():
        words = WORD_RE.findall(unicodedata.normalize("NFKC", chunk))
        if words:
            phrase = " ".join(words).lower()
            if phrase not in found:
                found.append(phrase)
        if len(found) >= MAX_TERMS:
            break
    return found


def spelled(raw: str) -> tuple[str, ...]:
    """The terms of `raw` whose words punctuation joins (`node.js`, `ci/cd`), as typed."""
    terms: list[str] = []
    for chunk in raw[:MAX_QUERY_CHARS].split()[:MAX_TERMS]:
        printable = "".join(c for c in chunk if c.isprintable())  # PostgreSQL text has no NUL
        term = unicodedata.normalize("NFKC", printable).strip(".,;:!?()[]{}\"'`")
        if len(WORD_RE.findall(term)) > 1 and term not in terms:
            terms.append(term)
    return tuple(terms)


def text_query(raw: str, *, any_term: bool = False) -> str | None:
    """Rows holding every phrase of `raw` (with `any_term`, any of them); None: nothing."""
    found = phrases(raw)
    if not found:
        return None
    groups = tuple((p,) for p in found) if any_term else (tuple(found),)
    return Query(groups, spelled=spelled(raw)).encode()


def prefix_query(raw: str) -> str | None:
    """Text being typed: its last word may be unfinished (unless a space follows it)."""
    found = phrases(raw)
    if not found:
        return None
    return Query((tuple(found),), "heading", prefix=not raw[-1:].isspace()).encode()


def pairs_query(
    keywords: Sequence[str], common: frozenset[str] = frozenset(), *, titles: bool = False
) -> str | None:
    """Questions sharing two of `keywords` (the one, if only one) in their title, details or
    tags (`topic`), or with `titles` in their title or tags (`heading`); two `common` words
    are not a match.
    """
    words = [p for k in keywords for p in phrases(k)[:1]]
    if not words:
        return None
    if len(words) == 1:
        groups: tuple[tuple[str, ...], ...] = ((words[0],),)
    else:
        groups = tuple(
            (a, b) for a, b in combinations(words, 2) if a not in common or b not in common
        )
        if not groups:
            return None
    return Query(groups, "heading" if titles else "topic").encode()


def any_query(keywords: Sequence[str]) -> str:
    """Any of `keywords` in titles, details and tags."""
    words = [p for k in keywords for p in phrases(k)[:1]]
    return Query(tuple((w,) for w in words), "topic").encode()


def whole_words(body: str, headline: str) -> str:
    """`headline` (a stretch of `body` with marks around matches) widened to whole words of
    the body: PostgreSQL's parser splits `select_related` at the underscore, so a stretch may
    start at `related`; the text is widened to the spaces around it.
    """
    plain = headline.replace(HIGHLIGHT_OPEN, "").replace(HIGHLIGHT_CLOSE, "")
    start = body.find(plain) if plain else -1
    if start < 0:
        return headline
    end = start + len(plain)
    before = start
    while before > 0 and not body[before - 1].isspace():
        before -= 1
    after = end
    while after < len(body) and not body[after].isspace():
        after += 1
    widened = body[before:start] + headline + body[end:after]
    return _MARKED_WORD_RE.sub(_mark_whole, widened)


# A run of non-space characters holding a mark: `select_\x02related\x03`.
_MARKED_WORD_RE = re.compile(rf"\S*[{HIGHLIGHT_OPEN}{HIGHLIGHT_CLOSE}]\S*")
_EDGE_RE = re.compile(r"^(\W*)(.*?)(\W*)$", re.DOTALL)


def _mark_whole(match: re.Match[str]) -> str:
    """One identifier with a marked part, marked whole (its punctuation around left out)."""
    word = match.group(0).replace(HIGHLIGHT_OPEN, "").replace(HIGHLIGHT_CLOSE, "")
    edges = _EDGE_RE.match(word)
    if edges is None or not edges.group(2):
        return word
    lead, core, trail = edges.groups()
    return f"{lead}{HIGHLIGHT_OPEN}{core}{HIGHLIGHT_CLOSE}{trail}"
