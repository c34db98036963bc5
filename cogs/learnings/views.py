"""The learnings' messages and components: an entry and its pages, the browsable index, the
shuffled tips, search results; every button persistent (its custom_id carries what it opens).
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Coroutine, Mapping
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from bot.errors import NotFound
from bot.learnings import LearningsService, Suggestions
from bot.learnings.model import TOPICS, Learning
from bot.qa import QaService, QuestionHit
from cogs._kit.interaction import services
from cogs._kit.limits import (
    SELECT_OPTION_DESCRIPTION,
    SELECT_OPTION_LABEL,
)
from cogs._kit.pager import Book
from cogs._kit.persistent import Action, ActionButton, Menu
from cogs._kit.ui import SafeView, choices, sanitize_label
from cogs.learnings import render

if TYPE_CHECKING:
    pass

Interaction = discord.Interaction[Any]
SLUG = r"[a-z0-9](?:[a-z0-9-]{0,58}[a-z0-9])?"
KIND_CODES = {"a": None, "c": "concept", "h": "challenge", "t": "tip"}
CODE_FOR_KIND = {v: k for k, v in KIND_CODES.items()}
SEARCH_QUERY_MAX = 80
TOPIC_CHOICES = [app_commands.Choice(name=name, value=slug) for slug, name in TOPICS.items()]
KIND_CHOICES = [
    app_commands.Choice(name="Everything", value="a"),
    app_commands.Choice(name="Concepts", value="c"),
    app_commands.Choice(name="Challenges", value="h"),
    app_commands.Choice(name="Tips", value="t"),
]


# -- persistent components (their custom_id carries what they act on) ------------------------


async def _open_entry(interaction: Interaction, state: Mapping[str, str]) -> None:
    learnings = services(interaction).learnings
    entry = learnings.get(state["slug"])
    if entry is None:
        raise NotFound("That entry was removed from the knowledge base.")
    embed, view = entry_message(learnings, entry, 1)
    await interaction.response.send_message(embed=embed, view=view, ephemeral=state["mode"] != "p")


# Opens an entry: publicly (a pick from "Did you mean") or just for the clicker (related).
OPEN_ENTRY = Action("learn:open:{mode}:{slug}", {"mode": "[pe]", "slug": SLUG}, _open_entry)


def open_entry(entry: Learning, *, public: bool) -> ActionButton:
    """The button that opens `entry`, in public or for the clicker alone."""
    return OPEN_ENTRY.make(
        sanitize_label(entry.title),
        {"mode": "p" if public else "e", "slug": entry.slug},
        emoji=render.KIND_STYLE.get(entry.kind, ("📄",))[0],
        style=discord.ButtonStyle.primary if public else discord.ButtonStyle.secondary,
    )


async def _choose_topic(
    interaction: Interaction, state: Mapping[str, str], values: list[str]
) -> None:
    value = (values or ["all"])[0]
    topic = None if value == "all" or value not in TOPICS else value
    embed, view = index_message(services(interaction).learnings, state["kind"], topic, 1)
    await interaction.response.edit_message(embed=embed, view=view)


# Chooses the topic of a browsable index.
TOPIC_MENU = Menu(
    "learn:topic:{kind}",
    {"kind": "concept|challenge|tip"},
    _choose_topic,
    placeholder="Choose a topic",
)


async def _another_tip(interaction: Interaction, state: Mapping[str, str]) -> None:
    learnings = services(interaction).learnings
    embed, view = tip_message(learnings, state["topic"], int(state["seed"]), int(state["pos"]))
    await interaction.response.edit_message(embed=embed, view=view)


# The next tip of a shuffled round: none repeats until the topic is exhausted.
ANOTHER_TIP = Action(
    "tips:next:{topic}:{seed}:{pos}",
    {"topic": "[a-z]+", "seed": r"\d{1,10}", "pos": r"\d{1,4}"},
    _another_tip,
)


async def _open_result(
    interaction: Interaction, state: Mapping[str, str], values: list[str]
) -> None:
    learnings = services(interaction).learnings
    entry = learnings.get((values or [""])[0])
    if entry is None:
        raise NotFound("That entry was removed from the knowledge base.")
    embed, view = entry_message(learnings, entry, 1)
    await interaction.response.send_message(embed=embed, view=view)


# Opens one of the results on the page, publicly.
OPEN_RESULT = Menu("search:open", {}, _open_result, placeholder="Open a result")


# -- messages ---------------------------------------------------------------------------------


def entry_message(
    learnings: LearningsService, entry: Learning, page: int
) -> tuple[discord.Embed, SafeView]:
    """An entry's page with its pager and its related entries as buttons."""
    pages = render.entry_pages(entry)
    page = min(max(page, 1), len(pages))
    view = SafeView(timeout=None)
    ENTRY_PAGES.add_to(view, page, len(pages), slug=entry.slug)
    for number, related in enumerate(learnings.related(entry)[:10]):
        button = open_entry(related, public=False)
        button.item.row = 1 + number // 5
        view.add_item(button)
    return pages[page - 1], view


def suggestions_message(result: Suggestions) -> tuple[discord.Embed, SafeView]:
    view = SafeView(timeout=None)
    for candidate in result.candidates:
        view.add_item(open_entry(candidate, public=True))
    embed = render.did_you_mean(result.query, result.candidates, result.elsewhere, result.covers)
    return embed, view


def index_message(
    learnings: LearningsService, kind: str, topic: str | None, page: int
) -> tuple[discord.Embed, SafeView]:
    index = learnings.index(kind, topic, page)
    view = SafeView(timeout=None)
    options = [discord.SelectOption(label="All topics", value="all", default=topic is None)]
    options += [
        discord.SelectOption(label=TOPICS[t], value=t, default=t == topic)
        for t in learnings.topics(kind)
    ]
    view.add_item(TOPIC_MENU.make({"kind": kind}, options, row=0))
    INDEX_PAGES.add_to(view, index.page, index.pages, kind=kind, topic=topic or "all")
    return render.index_page(index), view


def tip_message(
    learnings: LearningsService, topic: str, seed: int, pos: int
) -> tuple[discord.Embed, SafeView]:
    """The tip at `pos` of the round shuffled by `seed`; a new round starts when one ends."""
    order = learnings.rotation("tip", None if topic == "all" else topic, seed)
    if not order:
        raise NotFound("There are no tips on that topic yet.")
    if pos >= len(order):
        seed, pos = random.Random(seed).randrange(1, 2**31), 0  # noqa: S311 - not security
        order = learnings.rotation("tip", None if topic == "all" else topic, seed)
    embed = render.entry_pages(order[pos])[0]
    embed.set_footer(text=f"{embed.footer.text} · tip {pos + 1} of {len(order)}")
    view = SafeView(timeout=None)
    view.add_item(
        ANOTHER_TIP.make(
            "Another tip",
            {"topic": topic, "seed": seed, "pos": pos + 1},
            emoji="💡",
            style=discord.ButtonStyle.success,
        )
    )
    for related in learnings.related(order[pos])[:4]:
        view.add_item(open_entry(related, public=False))
    return embed, view


async def search_message(
    learnings: LearningsService,
    query: str,
    kind_code: str,
    page: int,
    qa: QaService | None = None,
    guild_id: int | None = None,
) -> tuple[discord.Embed, SafeView]:
    """Learnings found; searching everything in a server also shows its answered questions."""
    kind = KIND_CODES.get(kind_code)
    kinds = [kind] if kind else None
    questions: list[QuestionHit] = []
    if qa is None or guild_id is None or kind is not None:
        result = await learnings.search(query, page=page, kinds=kinds)
    elif page == 1:
        # Independent reads, asked together: under load each waits for a database
        # connection, and one after the other /search would wait twice.
        matched = asyncio.ensure_future(qa.answered_matches(guild_id, query))
        try:
            result = await learnings.search(query, page=page, kinds=kinds)
        except BaseException:
            matched.cancel()
            matched.add_done_callback(lambda task: task.cancelled() or task.exception())
            raise
        questions = await matched
    else:
        result = await learnings.search(query, page=page, kinds=kinds)
        if result.page == 1:  # the page asked for is past the last one
            questions = await qa.answered_matches(guild_id, query)
    view = SafeView(timeout=None)
    hits = [e for h in result.hits if (e := learnings.get(h.slug)) is not None]
    if hits:
        options = [
            discord.SelectOption(
                label=sanitize_label(h.title, SELECT_OPTION_LABEL),
                value=h.slug,
                emoji=render.KIND_STYLE.get(h.kind, ("📄",))[0],
                description=sanitize_label(h.summary, SELECT_OPTION_DESCRIPTION),
            )
            for h in hits
        ]
        view.add_item(OPEN_RESULT.make({}, options, row=0))
    SEARCH_PAGES.add_to(view, result.page, result.pages, kind=kind_code, query=result.query)
    return render.search_results(result, questions), view


def names_of(
    kind: str,
) -> Callable[[Interaction, str], Coroutine[Any, Any, list[app_commands.Choice[str]]]]:
    """The autocomplete of a `name` option: entries of `kind` close to what is typed."""

    async def names(interaction: Interaction, current: str) -> list[app_commands.Choice[str]]:
        found = services(interaction).learnings.suggest(current, kind)
        return choices((entry.title, entry.slug) for entry in found)

    return names


# -- the pagers ---------------------------------------------------------------------------------


async def _entry_page(
    interaction: Interaction, state: Mapping[str, str], page: int
) -> tuple[discord.Embed, SafeView]:
    learnings = services(interaction).learnings
    entry = learnings.get(state["slug"])
    if entry is None:
        raise NotFound("That entry was removed from the knowledge base.")
    return entry_message(learnings, entry, page)


async def _index_page(
    interaction: Interaction, state: Mapping[str, str], page: int
) -> tuple[discord.Embed, SafeView]:
    topic = None if state["topic"] == "all" else state["topic"]
    return index_message(services(interaction).learnings, state["kind"], topic, page)


async def _search_page(
    interaction: Interaction, state: Mapping[str, str], page: int
) -> tuple[discord.Embed, SafeView]:
    everything = services(interaction)
    return await search_message(
        everything.learnings,
        state["query"],
        state["kind"],
        page,
        everything.qa,
        interaction.guild_id,
    )


ENTRY_PAGES = Book(
    "learn:page:{slug}:{page}", {"slug": SLUG, "page": r"\d{1,2}"}, _entry_page, row=0
)
INDEX_PAGES = Book(
    "learn:index:{kind}:{topic}:{page}",
    {"kind": "concept|challenge|tip", "topic": "[a-z]+", "page": r"\d{1,3}"},
    _index_page,
    row=1,
)
SEARCH_PAGES = Book(
    "search:{kind}:{page}:{query}",
    {"kind": "[acht]", "page": r"\d{1,3}", "query": ".+"},
    _search_page,
    row=1,
)
DYNAMIC_ITEMS: tuple[type[discord.ui.DynamicItem[Any]], ...] = (
    OPEN_ENTRY.button,
    ENTRY_PAGES.button,
    INDEX_PAGES.button,
    TOPIC_MENU.select,
    ANOTHER_TIP.button,
    SEARCH_PAGES.button,
    OPEN_RESULT.select,
)
