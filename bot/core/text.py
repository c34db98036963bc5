"""Text rules shared by every feature: names normalised, member text cleaned, group mentions
refused, and free text turned into safe full-text queries.
"""

from __future__ import annotations

import re
import unicodedata

from bot.errors import BadInput

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


# -- text written by members: cleaned and refused the same way everywhere -----------------------

KEPT_CONTROLS = frozenset("\n\t")
MASS_MENTION_RE = re.compile(r"(?<!\w)@(everyone|here)\b", re.IGNORECASE)
ROLE_MENTION_RE = re.compile(r"<@&\d+>")


def clean_text(raw: str, *, multiline: bool) -> str:
    """Drop control characters and lone surrogates; one line unless `multiline`."""
    kept = "".join(
        ch for ch in raw if ch in KEPT_CONTROLS or unicodedata.category(ch) not in {"Cc", "Cs"}
    )
    if not multiline:
        return " ".join(kept.split())
    lines = [line.rstrip() for line in kept.replace("\t", "    ").split("\n")]
    return "\n".join(lines).strip()


def mentions_groups(value: str) -> bool:
    """True when `value` mentions `@everyone`, `@here` or a role."""
    return bool(MASS_MENTION_RE.search(value) or ROLE_MENTION_RE.search(value))


def refuse_mass_mentions(value: str, what: str) -> None:
    """`@everyone`, `@here` and role mentions are refused wherever members write text."""
    if mentions_groups(value):
        raise BadInput(
            f"Your {what} mentions `@everyone`, `@here` or a role. Posts on Nexus must not ping "
            "groups of people: remove the mention and try again."
        )
