"""What members type for specs, checked: spec names, version labels, notes, hand-typed endpoints
and endpoint references. Pure functions: they raise BadInput with a hint, or return clean values.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata

from bot.core.text import TextRule, clean_text, code_text, refuse_mass_mentions
from bot.errors import BadInput
from bot.specs.keys import MAX_PATH_CHARS, METHODS, endpoint_key
from bot.specs.model import CHOICE_TEXT_MAX, ManualDraft

SPEC_NAME_MAX = 40
# The one spec-name rule: 1-40 lowercase letters, digits and dashes, no dash at either end.
# Unanchored, so it can sit inside a larger pattern (a custom_id template); match it whole.
SPEC_NAME_PATTERN = rf"[a-z0-9](?:[a-z0-9-]{{0,{SPEC_NAME_MAX - 2}}}[a-z0-9])?"
SPEC_NAME_RE = re.compile(SPEC_NAME_PATTERN)
VERSION_NUMBER_RE = re.compile(r"(?:#|v)?(\d{1,6})", re.IGNORECASE)  # `3`, `#3`, `v3`
LABEL_MAX = 40
NOTE_MAX = 500
SUMMARY_MAX = 200
EXAMPLE_MAX = 1500
KEY_HASH_CHARS = 16
PATH_RE = re.compile(r"/[^\s]*")
BARE_NUMBER_RE = re.compile(r"#?\d+")
HASHED_REF_RE = re.compile(rf"~[0-9a-f]{{{KEY_HASH_CHARS}}}")
NOTE_TEXT = TextRule(
    "note",
    NOTE_MAX,
    "The note is empty: write what a peer should know about this endpoint.",
    "A note is at most {limit} characters (yours has {length}).",
)
SUMMARY_TEXT = TextRule(
    "summary",
    SUMMARY_MAX,
    "Add a one-line summary of what the endpoint does.",
    "The summary is at most {limit} characters.",
    multiline=False,
)


def parse_spec_name(raw: str) -> str:
    """`Bookings API` is refused with a hint; `bookings-api` is a name."""
    name = raw.strip().lower()
    if SPEC_NAME_RE.fullmatch(name):
        return name
    hint = re.sub(r"[^a-z0-9]+", "-", unicodedata.normalize("NFKD", raw).lower()).strip("-")
    hint = hint[:SPEC_NAME_MAX]
    example = f" such as `{hint}`" if hint and SPEC_NAME_RE.fullmatch(hint) else ""
    raise BadInput(
        f"A spec name is 1-{SPEC_NAME_MAX} lowercase letters, digits and dashes{example} "
        "(e.g. `bookings-api`)."
    )


def clean_label(raw: str) -> str:
    """A version label as typed (`2.1.0`): one line, short, and never a bare number."""
    label = clean_text(raw, multiline=False)
    if not label:
        raise BadInput("Give the version a label, e.g. `2.1.0`, or leave it out.")
    if len(label) > LABEL_MAX:
        raise BadInput(f"A version label is at most {LABEL_MAX} characters.")
    if is_bare_number(label):
        raise BadInput(
            "A version label cannot be a bare number (those are version numbers): try `v2` "
            "or `2.0.0`."
        )
    return label


def is_bare_number(label: str) -> bool:
    """Whether a label reads as a version number (`3`, `#3`), which labels must not."""
    return BARE_NUMBER_RE.fullmatch(label) is not None


def make_note(raw: str) -> str:
    """A note's text, cleaned: not empty, no mass mentions, at most NOTE_MAX characters."""
    return NOTE_TEXT.check(raw)


def _example(raw: str | None, what: str) -> str | None:
    if raw is None:
        return None
    text = clean_text(raw, multiline=True)
    if not text:
        return None
    refuse_mass_mentions(text, what)
    if len(text) > EXAMPLE_MAX:
        raise BadInput(f"The {what} is at most {EXAMPLE_MAX} characters.")
    try:  # JSON is pretty-printed; anything else is kept as typed
        return json.dumps(json.loads(text), indent=1, ensure_ascii=False)[:EXAMPLE_MAX]
    except ValueError:
        return text


def make_manual_draft(
    method: str,
    path: str,
    summary: str,
    request_example: str | None = None,
    response_example: str | None = None,
) -> ManualDraft:
    """Validate a hand-typed endpoint (the fields of the `/spec add` form)."""
    verb = method.strip().upper()
    if verb.lower() not in METHODS:
        raise BadInput(
            f"`{clean_text(method, multiline=False)[:12]}` is not an HTTP method: use one of "
            f"{', '.join(m.upper() for m in METHODS)}."
        )
    where = path.strip()
    if not PATH_RE.fullmatch(where) or len(where) > MAX_PATH_CHARS:
        raise BadInput(
            f"The path must start with `/` and have no spaces (at most {MAX_PATH_CHARS} "
            "characters), e.g. `/api/v1/bookings/{id}/`."
        )
    refuse_mass_mentions(where, "path")
    text = SUMMARY_TEXT.check(summary)
    return ManualDraft(
        verb,
        where,
        text,
        _example(request_example, "request example"),
        _example(response_example, "response example"),
    )


def key_hash(key: str) -> str:
    """A short, stable stand-in for an endpoint key (stored beside it, and indexed)."""
    return hashlib.sha256(key.encode()).hexdigest()[:KEY_HASH_CHARS]


def parse_endpoint_ref(raw: str) -> tuple[str | None, str]:
    """(exact key or None, the text to search by) for what was picked or typed."""
    text = " ".join(raw.split())
    if text.startswith("~") and HASHED_REF_RE.fullmatch(text):
        return None, text
    parts = text.split(" ", 1)
    if len(parts) == 2 and parts[0].lower() in METHODS and parts[1].startswith("/"):
        return endpoint_key(parts[0], parts[1]), text
    return None, text


def choice_value(key: str) -> str:
    """A suggestion's value: the key itself, or `~hash` when it is longer than a value may be."""
    return key if len(key) <= CHOICE_TEXT_MAX else f"~{key_hash(key)}"


def shown(raw: str, limit: int = 40) -> str:
    """What a member typed, quoted back safely inside an inline code span."""
    return code_text(clean_text(raw, multiline=False), limit)
