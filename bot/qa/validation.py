"""The Q&A's rules for member text, pure: drafts, answers, tags, references, rights, keywords."""

from __future__ import annotations

import re
import unicodedata

from bot.core.actor import Actor
from bot.core.query import STOPWORDS
from bot.core.text import WORD_RE, TextRule, clean_text, code_text, refuse_mass_mentions
from bot.errors import BadInput, NotAllowed
from bot.qa.model import Draft

TITLE_MIN, TITLE_MAX = 10, 150
DETAILS_MAX = 2000
ANSWER_MAX = 2000
TAGS_MAX = 5
TAG_MAX_CHARS = 24
SIMILAR_KEYWORDS = 8  # words of a draft compared with the stored questions
ANSWER_TEXT = TextRule(
    "answer",
    ANSWER_MAX,
    "Your answer is empty: write what would help.",
    "An answer can be at most {limit} characters (yours has {length}).",
)

TAG_RE = re.compile(r"[\w+#.\-]+")
TAG_SPLIT_RE = re.compile(r"[\s,;]+")
QUESTION_REF_RE = re.compile(r"#?\s*([0-9]{1,18})(?![0-9])")
# Words that say nothing about what a question is about; left out of the similarity search.


def parse_tags(raw: str | None) -> tuple[str, ...]:
    """`"Django, #celery  c++"` -> ("django", "celery", "c++"); at most five, each a word."""
    if raw is None:
        return ()
    cleaned = clean_text(raw, multiline=False)
    refuse_mass_mentions(cleaned, "tags")
    tags: list[str] = []
    for part in TAG_SPLIT_RE.split(cleaned):
        tag = unicodedata.normalize("NFKC", part).casefold().lstrip("#")
        if not tag:
            continue
        if len(tag) > TAG_MAX_CHARS or not TAG_RE.fullmatch(tag):
            shown = code_text(part, TAG_MAX_CHARS + 1)
            raise BadInput(
                f"`{shown}` is not a tag: use words of up to {TAG_MAX_CHARS} letters, digits or "
                "`+#.-`, separated by commas or spaces (e.g. `django, celery, c++`)."
            )
        if tag not in tags:
            tags.append(tag)
    if len(tags) > TAGS_MAX:
        raise BadInput(f"Use at most {TAGS_MAX} tags (you gave {len(tags)}).")
    return tuple(tags)


def parse_tag(raw: str | None) -> str | None:
    """One tag for a filter, normalised like stored tags (None when empty)."""
    tags = parse_tags(raw)
    if len(tags) > 1:
        raise BadInput("Filter by one tag at a time.")
    return tags[0] if tags else None


def make_draft(title: str, details: str, tags: str | None = None) -> Draft:
    """Clean and validate a question; raise BadInput naming what to fix."""
    clean_title = clean_text(title, multiline=False)
    clean_details = clean_text(details, multiline=True)
    refuse_mass_mentions(clean_title, "title")
    refuse_mass_mentions(clean_details, "details")
    visible = sum(1 for ch in clean_title if unicodedata.category(ch) != "Cf")
    if visible < TITLE_MIN:  # zero-width characters do not make a title longer
        raise BadInput(
            f"Make the title a short sentence of at least {TITLE_MIN} characters "
            f"(it has {visible}), e.g. *How do I retry a failed Celery task?*"
        )
    if len(clean_title) > TITLE_MAX:
        raise BadInput(
            f"Keep the title under {TITLE_MAX} characters (it has {len(clean_title)}); "
            "put the rest in the details."
        )
    if not clean_details:
        raise BadInput("Add some details: what you tried, what happened, what you expected.")
    if len(clean_details) > DETAILS_MAX:
        raise BadInput(
            f"The details can be at most {DETAILS_MAX} characters (they have "
            f"{len(clean_details)}); link a paste for long logs."
        )
    return Draft(clean_title, clean_details, parse_tags(tags))


def make_answer(body: str) -> str:
    """Clean and validate an answer's text."""
    return ANSWER_TEXT.check(body)


def parse_ref(raw: str, what: str = "question") -> int:
    """The number of a question or answer: `"12"`, `"#12"` or an autocomplete value -> 12."""
    match = QUESTION_REF_RE.match(raw.strip())
    if match is None:
        article = "an" if what[:1] in {"a", "e", "i", "o", "u"} else "a"
        raise BadInput(f"Pick {article} {what} from the list, or type its number (like `12`).")
    return int(match.group(1))


def may_change(actor: Actor, author_id: int | None) -> bool:
    """Authors may change what they wrote; moderators anything (anonymous text: only them)."""
    return actor.is_moderator or (author_id is not None and author_id == actor.user_id)


def require_change(actor: Actor, author_id: int | None, refusal: str) -> None:
    """NotAllowed with `refusal` unless `actor` may change what `author_id` wrote."""
    if not may_change(actor, author_id):
        raise NotAllowed(refusal)


def similarity_keywords(draft: Draft) -> list[str]:
    """The words of a draft's title and tags that say what it is about, in order."""
    keywords: list[str] = []
    for word in WORD_RE.findall(
        unicodedata.normalize("NFKC", f"{draft.title} {' '.join(draft.tags)}")
    ):
        folded = word.casefold()
        if len(folded) < 2 or folded in STOPWORDS or folded in keywords:
            continue
        keywords.append(folded)
        if len(keywords) >= SIMILAR_KEYWORDS:
            break
    return keywords
