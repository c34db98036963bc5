"""Discord's documented limits, in one place: no other module writes one of these numbers."""

from __future__ import annotations

import discord

EMBED_TITLE = 256
EMBED_DESCRIPTION = 4096
EMBED_FIELDS = 25
EMBED_FIELD_NAME = 256
EMBED_FIELD_VALUE = 1024
EMBED_FOOTER = 2048
EMBED_AUTHOR = 256
EMBED_TOTAL = 6000
EMBEDS_PER_MESSAGE = 10
MESSAGE_CONTENT = 2000
CHOICES = 25
CHOICE_NAME = 100
CHOICE_VALUE = 100  # also the longest value a member can type into an autocompleted option
CUSTOM_ID = 100
BUTTON_LABEL = 80
BUTTONS_PER_ROW = 5
ACTION_ROWS = 5
SELECT_OPTIONS = 25
SELECT_OPTION_LABEL = 100
SELECT_OPTION_VALUE = 100
SELECT_OPTION_DESCRIPTION = 100
SELECT_PLACEHOLDER = 150
MODAL_TITLE = 45
STRING_OPTION = 6000  # the longest value a string option accepts
THREAD_NAME = 100  # a thread's (a forum post's) name
FORUM_TAGS = 20  # tags a forum offers
FORUM_TAG_NAME = 20
POST_TAGS = 5  # tags one forum post carries

# The page size we aim for: well inside the description limit, leaving room for the rest.
PAGE_BUDGET = 3500


def embed_problems(embed: discord.Embed) -> list[str]:
    """Every way `embed` breaks Discord's limits (empty when it fits)."""
    problems: list[str] = []
    if embed.title and len(embed.title) > EMBED_TITLE:
        problems.append(f"title has {len(embed.title)} characters (limit {EMBED_TITLE})")
    if embed.description and len(embed.description) > EMBED_DESCRIPTION:
        problems.append(
            f"description has {len(embed.description)} characters (limit {EMBED_DESCRIPTION})"
        )
    if len(embed.fields) > EMBED_FIELDS:
        problems.append(f"{len(embed.fields)} fields (limit {EMBED_FIELDS})")
    for field in embed.fields:
        if not field.name or len(field.name) > EMBED_FIELD_NAME:
            problems.append(f"field name {field.name!r} is empty or too long")
        if not field.value or len(field.value) > EMBED_FIELD_VALUE:
            problems.append(f"field {field.name!r} value has {len(field.value or '')} characters")
    if embed.footer.text and len(embed.footer.text) > EMBED_FOOTER:
        problems.append("footer too long")
    if len(embed) > EMBED_TOTAL:
        problems.append(f"embed totals {len(embed)} characters (limit {EMBED_TOTAL})")
    return problems


def clip(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
