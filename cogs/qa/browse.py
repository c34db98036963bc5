"""Browsing questions: /qa search results and the /qa mine and /qa open lists, page by page
(the pagers' custom_ids carry the query, so they keep working after a restart).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import discord
from discord import app_commands

from bot.qa import Status
from cogs._kit.interaction import server, services
from cogs._kit.pager import Book
from cogs._kit.ui import SafeView
from cogs.qa import render
from cogs.qa.question import WHERE

Interaction = discord.Interaction[Any]
STATUS_CODES: dict[str, Status] = {"o": "open", "a": "answered", "z": "all"}
CODE_FOR_STATUS = {v: k for k, v in STATUS_CODES.items()}
STATUS_BY_NAME: dict[str, Status] = {v: v for v in STATUS_CODES.values()}
SEARCH_QUERY_MAX = 60  # the query travels in the pager's custom_id (100 characters at most)
STATUS_CHOICES = [
    app_commands.Choice(name="Everything", value="all"),
    app_commands.Choice(name="Unanswered only", value="open"),
    app_commands.Choice(name="Answered only", value="answered"),
]


async def search_message(
    interaction: Interaction, query: str, tag: str | None, status: Status, page: int
) -> tuple[discord.Embed, SafeView]:
    result = await services(interaction).qa.search(
        server(interaction, WHERE), query, tag=tag, status=status, page=page
    )
    view = SafeView(timeout=None)
    SEARCH.add_to(
        view,
        result.page,
        result.pages,
        status=CODE_FOR_STATUS[status],
        tag=tag or "",
        query=result.query,
    )
    return render.search_embed(result), view


async def _search_page(
    interaction: Interaction, state: Mapping[str, str], page: int
) -> tuple[discord.Embed, SafeView]:
    status = STATUS_CODES.get(state["status"], "all")
    return await search_message(interaction, state["query"], state["tag"] or None, status, page)


SEARCH = Book(
    "qa:find:{status}:{page}:{tag}:{query}",
    {"status": "[oaz]", "page": r"\d{1,3}", "tag": "[^:]*", "query": ".+"},
    _search_page,
    row=1,
)


async def list_message(
    interaction: Interaction, kind: str, page: int
) -> tuple[discord.Embed, SafeView]:
    qa, guild_id = services(interaction).qa, server(interaction, WHERE)
    if kind == "mine":
        listing = await qa.mine(guild_id, interaction.user.id, page)
    else:
        listing = await qa.unanswered(guild_id, page)
    view = SafeView(timeout=None)
    LISTS.add_to(view, listing.page, listing.pages, kind=kind)
    return render.list_embed(listing), view


async def _list_page(
    interaction: Interaction, state: Mapping[str, str], page: int
) -> tuple[discord.Embed, SafeView]:
    return await list_message(interaction, state["kind"], page)


LISTS = Book("qa:list:{kind}:{page}", {"kind": "mine|open", "page": r"\d{1,4}"}, _list_page)
