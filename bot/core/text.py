"""Text rules shared by every feature: names normalised, member text cleaned, group mentions
refused. (Free text becomes a full-text query in the database layer: `bot.db.search`.)
"""

from __future__ import annotations

import re
import unicodedata

from bot.errors import BadInput

WORD_RE = re.compile(r"\w+", re.UNICODE)
SEPARATORS_RE = re.compile(r"[\s\-_./]+")
MAX_QUERY_CHARS = 200  # what is read of a search or of text being typed


def normalise(name: str) -> str:
    """Case-, width- and separator-blind form of a name: 'Select_Related' -> 'select related'."""
    folded = unicodedata.normalize("NFKC", name).casefold()
    return SEPARATORS_RE.sub(" ", folded).strip()


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


def member_text(
    raw: str, what: str, *, limit: int, empty: str, too_long: str, multiline: bool = True
) -> str:
    """Text a member wrote, cleaned (one line unless `multiline`) and checked, else BadInput.

    Group mentions are refused first, then empty text (`empty` says what to write), then text
    over `limit` characters: `too_long` may name `{limit}` and `{length}`.
    """
    text = clean_text(raw, multiline=multiline)
    refuse_mass_mentions(text, what)
    if not text:
        raise BadInput(empty)
    if len(text) > limit:
        raise BadInput(too_long.format(limit=limit, length=len(text)))
    return text
