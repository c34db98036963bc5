"""Text helpers shared by the services: normalising names, building safe FTS5 queries."""

from __future__ import annotations

import re
import unicodedata

WORD_RE = re.compile(r"\w+", re.UNICODE)
SEPARATORS_RE = re.compile(r"[\s\-_./]+")
MAX_QUERY_CHARS = 200
MAX_TERMS = 16


def normalise(name: str) -> str:
    """Case-, width- and separator-blind form of a name: 'Select_Related' -> 'select related'."""
    folded = unicodedata.normalize("NFKC", name).casefold()
    return SEPARATORS_RE.sub(" ", folded).strip()


def fts_query(text: str, *, any_term: bool = False) -> str | None:
    """A MATCH expression for FTS5 built from free text, or None when there is nothing to find.

    Every whitespace-separated term becomes a quoted phrase of its word characters, so FTS5
    operators, quotes, `*`, `-`, `:` and parentheses in user input are only ever text:
    `c++` -> "c", `node.js` -> "node js", `ci/cd` -> "ci cd", `NOT` -> "NOT".
    """
    phrases: list[str] = []
    for chunk in text[:MAX_QUERY_CHARS].split():
        words = WORD_RE.findall(unicodedata.normalize("NFKC", chunk))
        if words:
            phrase = '"' + " ".join(words) + '"'
            if phrase not in phrases:
                phrases.append(phrase)
        if len(phrases) >= MAX_TERMS:
            break
    if not phrases:
        return None
    return (" OR " if any_term else " ").join(phrases)
