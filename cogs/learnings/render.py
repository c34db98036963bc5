"""Learnings as embeds: entries (paged), tips, search results, indexes, suggestions."""

from __future__ import annotations

from collections.abc import Sequence

import discord

from bot.core.markdown import paginate
from bot.learnings import IndexPage, SearchPage
from bot.learnings.model import TOPICS, Learning
from bot.qa import QuestionHit
from cogs._kit.limits import (
    EMBED_FIELD_NAME,
    EMBED_FIELD_VALUE,
    EMBED_TITLE,
    EMBED_TOTAL,
    PAGE_BUDGET,
    clip,
)
from cogs._kit.text import SHORT_TEXT
from cogs.qa import render as qa_render

KIND_STYLE: dict[str, tuple[str, int, str]] = {
    "concept": ("📘", 0x5865F2, "Concept"),
    "challenge": ("🧩", 0xE67E22, "Challenge"),
    "tip": ("💡", 0x2ECC71, "Tip"),
}
COMMAND_FOR_KIND = {"concept": "/concept", "challenge": "/challenge", "tip": "/tips"}


def kind_label(kind: str) -> str:
    return KIND_STYLE.get(kind, ("", 0, kind.title()))[2]


def entry_pages(entry: Learning) -> list[discord.Embed]:
    """The entry as one or more embeds; code blocks are never cut across pages."""
    emoji, colour, label = KIND_STYLE.get(entry.kind, ("📄", 0x99AAB5, entry.kind.title()))
    if entry.kind == "tip":
        # A tip is its body; its summary serves lists and search, its "why" closes it.
        header, body_text = "", f"{entry.body}\n\n**Why:** {entry.why}" if entry.why else entry.body
    else:
        header, body_text = f"*{entry.summary}*", entry.body
    first_budget = PAGE_BUDGET - len(header) - 2
    bodies = paginate(body_text, PAGE_BUDGET, first_budget=first_budget)
    pages: list[discord.Embed] = []
    for number, body in enumerate(bodies, start=1):
        description = f"{header}\n\n{body}" if number == 1 and header else body
        embed = discord.Embed(
            title=clip(f"{emoji} {entry.title}", EMBED_TITLE),
            description=description,
            colour=colour,
        )
        if number == len(bodies) and entry.docs:
            links = "\n".join(f"[{d.title}]({d.url})" for d in entry.docs)
            embed.add_field(name="Docs", value=clip(links, EMBED_FIELD_VALUE), inline=False)
        footer = f"{label} · {entry.topic_name}"
        if len(bodies) > 1:
            footer += f" · page {number}/{len(bodies)}"
        embed.set_footer(text=footer)
        pages.append(embed)
    return pages


def did_you_mean(
    query: str,
    candidates: Sequence[Learning],
    elsewhere: Learning | None = None,
    covers: bool = False,
) -> discord.Embed:
    lines = "\n".join(
        f"{KIND_STYLE[c.kind][0]} **{c.title}** — {clip(c.summary, 90)}" for c in candidates
    )
    if covers:
        intro = f"Nothing is called `{clip(query, SHORT_TEXT)}`, but these cover it:"
    elif elsewhere is None:
        intro = f"Nothing is called `{clip(query, SHORT_TEXT)}` exactly. Close matches:"
    else:
        wanted = kind_label(candidates[0].kind).lower()
        found = kind_label(elsewhere.kind).lower()
        intro = (
            f"`{clip(query, SHORT_TEXT)}` names a {found} (last below). "
            f"{wanted.title()}s close to it:"
        )
    return discord.Embed(title="Did you mean…", description=f"{intro}\n\n{lines}", colour=0xFEE75C)


def not_found(query: str, kind: str) -> str:
    what = kind_label(kind).lower()
    return (
        f"I know no {what} close to `{clip(query, SHORT_TEXT)}`. "
        f"Try `/search query:{clip(query, SHORT_TEXT)}` to look through every learning."
    )


def search_results(page: SearchPage, questions: Sequence[QuestionHit] = ()) -> discord.Embed:
    """Learnings found, then the server's answered questions (each marked as a question)."""
    embed = discord.Embed(
        title=clip(f"🔎 Results for “{page.query}”", EMBED_TITLE),
        colour=0x5865F2,
    )
    if not page.hits and not questions:
        embed.description = "No learning mentions that. Try fewer or different words."
        return embed
    if not page.hits:
        embed.description = "No learning mentions that, but members answered these questions:"
    for hit in page.hits:
        emoji = KIND_STYLE.get(hit.kind, ("📄",))[0]
        command = COMMAND_FOR_KIND.get(hit.kind, "/search")
        value = f"{hit.snippet}\n`{command} {hit.slug}`" if hit.kind != "tip" else hit.snippet
        embed.add_field(
            name=clip(f"{emoji} {hit.title}", EMBED_FIELD_NAME),
            value=clip(value, EMBED_FIELD_VALUE),
            inline=False,
        )
    for question in questions:
        name, value = qa_render.hit_field(question, mark="🙋 Answered question · ")
        if len(embed) + len(name) + len(value) > EMBED_TOTAL - 200:  # room for the footer
            break
        embed.add_field(name=name, value=value, inline=False)
    embed.set_footer(
        text=f"{page.total} result{'s' if page.total != 1 else ''} · page {page.page}/{page.pages}"
    )
    return embed


def index_page(page: IndexPage) -> discord.Embed:
    topic = TOPICS.get(page.topic, page.topic) if page.topic else "All topics"
    embed = discord.Embed(
        title=clip(f"📚 {kind_label(page.kind)}s — {topic}", EMBED_TITLE), colour=0x5865F2
    )
    embed.description = (
        "\n".join(f"**{e.title}** — {clip(e.summary, 110)}" for e in page.entries)
        or "Nothing here yet."
    )
    embed.set_footer(
        text=f"{page.total} entries · page {page.page}/{page.pages} · open one with /concept name:"
    )
    return embed
