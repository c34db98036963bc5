"""Text rules shared by every feature: names normalised, searches refused without words and
shown above their results, member text cleaned and checked, group mentions refused. (Free text
becomes a full-text query in the database layer: `bot.db.search`.)
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, fields, is_dataclass, replace
from typing import TypeVar, cast

from bot.errors import BadInput

T = TypeVar("T")

WORD_RE = re.compile(r"\w+", re.UNICODE)
SEPARATORS_RE = re.compile(r"[\s\-_./]+")
MAX_QUERY_CHARS = 200  # what is read of a search or of text being typed
SUGGESTIONS = 25  # the most choices one autocomplete answer carries
SHOWN_QUERY_CHARS = 100  # of a search, repeated above its results


def normalise(name: str) -> str:
    """Case-, width- and separator-blind form of a name: 'Select_Related' -> 'select related'."""
    folded = unicodedata.normalize("NFKC", name).casefold()
    return SEPARATORS_RE.sub(" ", folded).strip()


def require_search_words(has_terms: Callable[[str], bool], query: str) -> None:
    """A search must hold words the index can look for (`has_terms`); BadInput otherwise."""
    if not has_terms(query):
        raise BadInput("Type a few words to search for, e.g. `celery retries`.")


def shown_query(query: str) -> str:
    """A search as repeated above its results: one line, at most SHOWN_QUERY_CHARS."""
    return " ".join(query.split())[:SHOWN_QUERY_CHARS]


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


_CONTROLS_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # C0 and DEL, but tab and line feed


def without_controls(value: T) -> T:
    """`value` with control characters (NUL, escape, bell...; not tabs and line breaks)
    removed from every string in it: strings, and lists, tuples, dicts and dataclasses of them.

    For text from documents (an imported API spec), which members did not type through
    `clean_text`: Discord shows no control character, and PostgreSQL's text cannot hold a NUL.
    """
    return cast(T, _without_controls(value))


def _without_controls(value: object) -> object:
    """`value`, itself when it holds no control character (nothing is copied then)."""
    if isinstance(value, str):
        return value if _CONTROLS_RE.search(value) is None else _CONTROLS_RE.sub("", value)
    if isinstance(value, list | tuple):
        cleaned = [_without_controls(v) for v in value]
        if all(c is v for c, v in zip(cleaned, value, strict=True)):
            return value
        return cleaned if isinstance(value, list) else tuple(cleaned)
    if isinstance(value, dict):
        pairs = [(_without_controls(k), _without_controls(v)) for k, v in value.items()]
        if all(a is k and b is v for (a, b), (k, v) in zip(pairs, value.items(), strict=True)):
            return value
        return dict(pairs)
    if is_dataclass(value) and not isinstance(value, type):
        changed = {
            f.name: new
            for f in fields(value)
            if (new := _without_controls(old := getattr(value, f.name))) is not old
        }
        return replace(value, **changed) if changed else value
    return value


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


@dataclass(frozen=True, slots=True)
class TextRule:
    """What a member's text of one kind must be: named `what` in refusals, at most `limit`
    characters, one line unless `multiline`.

    `empty` is the refusal of empty text; `too_long` that of longer text (it may name
    `{limit}` and `{length}`).
    """

    what: str
    limit: int
    empty: str
    too_long: str
    multiline: bool = True

    def check(self, raw: str) -> str:
        """The text cleaned, else BadInput: group mentions first, then empty, then too long."""
        text = clean_text(raw, multiline=self.multiline)
        refuse_mass_mentions(text, self.what)
        if not text:
            raise BadInput(self.empty)
        if len(text) > self.limit:
            raise BadInput(self.too_long.format(limit=self.limit, length=len(text)))
        return text


# Characters that make Markdown: emphasis, code, quotes, headings, masked links, <tags>.
MARKDOWN_RE = re.compile(r"([\\`*_~|>#\[\]()<])")
# A line that starts a list: "- item", "+ item", "1. item".
LIST_MARK_RE = re.compile(r"^(\s*)([-+]|\d+)(\.?)(?=\s)", re.MULTILINE)


def escape_markdown(raw: str) -> str:
    """`raw` shown exactly as written inside a Markdown message, line breaks kept: every
    character that could format it (or make a masked link, or end a code span) escaped, each on
    its own, so a cut anywhere leaves nothing half-open. A backslash before punctuation shows
    nothing. The one escaping rule for text from members and documents.
    """
    escaped = MARKDOWN_RE.sub(r"\\\1", raw)
    return LIST_MARK_RE.sub(_escape_list_mark, escaped)


def _escape_list_mark(match: re.Match[str]) -> str:
    indent, mark, dot = match.groups()
    if mark.isdigit():  # "1." is a list, "1" is not; the dot is what a backslash can escape
        return f"{indent}{mark}\\." if dot else match.group(0)
    return f"{indent}\\{mark}{dot}"


def snippet_markdown(raw: str, marks: tuple[str, str]) -> str:
    """A search snippet as one line of safe Markdown: its text escaped (identifiers such as
    `select_related` stay whole), the matched words between `marks` in bold, nobody pinged.
    """
    opening, closing = marks
    flat = markdown_text(raw).replace("@", "@\u200b")
    return flat.replace(opening, "**").replace(closing, "**")


def code_text(raw: object, limit: int = 120) -> str:
    """`raw` fit for the inside of an inline code span: on one line, at most `limit`
    characters, and a backtick shown as `ˋ` so that it cannot end the span.
    """
    flat = " ".join(str(raw).split()).replace("`", "ˋ")
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def markdown_text(raw: str) -> str:
    """`raw` on one line (runs of whitespace made one space), escaped by `escape_markdown`."""
    return escape_markdown(" ".join(raw.split()))


# A masked link, `[text](url)` or `[text](<url> "title")`, and the code where it is just text.
MASKED_LINK_RE = re.compile(r"\[([^\]\n]*)\]\(\s*<?([^()\s<>]+)>?(?:\s+[\"'][^\"'\n]*[\"'])?\s*\)")
CODE_RE = re.compile(r"(?<!\\)(```.*?```|`[^`]*`)", re.DOTALL)  # an escaped \` opens nothing


def unmask_links(markdown: str) -> str:
    """A member's Markdown with every masked link shown as its text and its real address,
    `[docs](https://x)` → `docs (https://x)`, outside code. The rest of the Markdown (code
    blocks above all) stays: members format their questions and answers.
    """
    parts = CODE_RE.split(markdown)
    for i in range(0, len(parts), 2):  # even parts are outside code
        text = parts[i]
        while True:  # `[[a](b)](c)` unmasks in two rounds
            unmasked = MASKED_LINK_RE.sub(r"\1 (\2)", text)
            if unmasked == text:
                break
            text = unmasked
        parts[i] = text
    return "".join(parts)
