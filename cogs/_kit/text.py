"""Text from members and documents made safe to show in Discord: escaped, fenced, clipped.

Mentions stay text (the bot sends with mentions off); Markdown cannot change how a reply reads.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from bot.core.text import code_text, escape_markdown

# How much of a member's text a reply quotes back in a line.
SHORT_TEXT = 80


def esc(text: str) -> str:
    """Text from a member or a document shown as plain text: every Markdown character escaped
    (`bot.core.text.escape_markdown`), so nothing in it formats, links or ends a code span.
    """
    return escape_markdown(text)


def code(text: str, limit: int = 120) -> str:
    """Text inside an inline code span (a backtick cannot close it early)."""
    return f"`{code_text(text, limit)}`"


def block(text: str, limit: int, lang: str = "") -> str:
    """A fenced code block of at most `limit` characters in all, never left open."""
    inner = text.replace("```", "ˋˋˋ")
    budget = max(limit - len(lang) - 8, 10)
    if len(inner) > budget:
        inner = inner[: budget - 1].rstrip() + "…"
    return f"```{lang}\n{inner}\n```"


def backups_note(kept: int, what: str = "it") -> str:
    """How long the backups made before a forget-me still hold what it deleted."""
    return (
        f"Backups made before now still hold {what} until they are replaced: Nexus keeps its "
        f"last {kept} daily backups, so within {kept} days {what} is gone from those too."
    )


def when(moment: datetime) -> str:
    """A Discord timestamp that each reader sees in their own time zone ("3 hours ago")."""
    return f"<t:{int(moment.timestamp())}:R>"


def plural(count: int, word: str) -> str:
    """`1 answer`, `2 answers`."""
    return f"{count} {word}{'' if count == 1 else 's'}"


def fit_lines(lines: Iterable[str], budget: int, more: str) -> str:
    """As many whole lines as fit in `budget`, then `more` (formatted with `n`, the count left
    out).
    """
    kept: list[str] = []
    items = list(lines)
    used = 0
    for i, line in enumerate(items):
        cost = len(line) + 1
        rest = len(items) - i
        reserve = len(more.format(n=rest)) + 1 if rest > 1 else 0
        if used + cost + reserve > budget:
            kept.append(more.format(n=rest))
            break
        kept.append(line)
        used += cost
    return "\n".join(kept)
