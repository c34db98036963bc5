"""/spec's messages and components: the paged endpoint listing (with its tag select), the
paged changelog, and the form of /spec add.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import discord

from bot.specs import EXAMPLE_MAX, SUMMARY_MAX, ChangesPage, ListingPage, make_manual_draft
from cogs._kit.interaction import actor, server, services
from cogs._kit.limits import MODAL_TITLE, SELECT_OPTION_LABEL
from cogs._kit.pager import Book
from cogs._kit.persistent import Menu, MenuSelect
from cogs._kit.ui import Form, SafeView, answer_in_place, in_time
from cogs.specs import endpoint, render

Interaction = discord.Interaction[Any]
WHERE = "API specs"  # what lives in a server, for refusals in DMs
ID = r"\d{1,18}"  # an SQLite INTEGER (int64) holds any 18-digit number


# -- the listing of a spec's endpoints ----------------------------------------------------------


def listing_message(listing: ListingPage) -> tuple[discord.Embed, SafeView]:
    """One page of a spec's endpoints, with the tag select and the page buttons."""
    view = SafeView(timeout=None)
    if len(listing.tags) > 1:
        view.add_item(tag_menu(listing.spec.id, listing.tags, listing.tag))
    LISTING.add_to(view, listing.page, listing.pages, spec=str(listing.spec.id))
    return render.listing_embed(listing), view


async def _listing_page(
    interaction: Interaction, state: Mapping[str, str], page: int
) -> tuple[discord.Embed, SafeView]:
    return await _listing(interaction, int(state["spec"]), page)


async def _listing(
    interaction: Interaction, spec_id: int, page: int
) -> tuple[discord.Embed, SafeView]:
    specs, guild_id = services(interaction).specs, server(interaction, WHERE)
    return listing_message(await specs.listing(guild_id, spec_id=spec_id, page=page))


LISTING = Book("spec:list:{spec}:{page}", {"spec": ID, "page": r"\d{1,4}"}, _listing_page, row=1)
ListPage = LISTING.button


async def _jump_to_tag(
    interaction: Interaction, state: Mapping[str, str], values: list[str]
) -> None:
    value = (values or ["1"])[0]
    page = int(value) if value.isdigit() else 1
    drawn = _listing(interaction, int(state["spec"]), page)
    embed, view = await in_time(interaction, drawn, update=True)
    await answer_in_place(interaction, embed=embed, view=view)


# Jumps to a tag's first page of an endpoint listing (each option's value is that page).
TAGS = Menu("spec:tags:{spec}", {"spec": ID}, _jump_to_tag, placeholder="Jump to a tag")
ListTag = TAGS.select


def tag_menu(spec_id: int, tags: tuple[tuple[str, int], ...], current: str) -> MenuSelect:
    """The listing's tag menu: each tag, its first page as the value."""
    options = [
        discord.SelectOption(
            label=render.clip(tag, SELECT_OPTION_LABEL), value=str(page), default=tag == current
        )
        for tag, page in tags
    ]
    return TAGS.make({"spec": spec_id}, options, row=0)


# -- the changelog between two versions ---------------------------------------------------------


def changes_message(changes: ChangesPage) -> tuple[discord.Embed, SafeView]:
    """One page of what changed between two versions of a spec, with the page buttons."""
    view = SafeView(timeout=None)
    CHANGES.add_to(
        view,
        changes.page,
        changes.pages,
        spec=str(changes.spec.id),
        older=str(changes.older.number),
        newer=str(changes.newer.number),
    )
    return render.changes_embed(changes), view


async def _changes_page(
    interaction: Interaction, state: Mapping[str, str], page: int
) -> tuple[discord.Embed, SafeView]:
    specs, guild_id = services(interaction).specs, server(interaction, WHERE)
    spec_id, older, newer = int(state["spec"]), state["older"], state["newer"]
    changes = await specs.changes(guild_id, spec_id=spec_id, older=older, newer=newer, page=page)
    return changes_message(changes)


CHANGES = Book(
    "spec:chg:{spec}:{older}:{newer}:{page}",
    {"spec": ID, "older": r"\d{1,6}", "newer": r"\d{1,6}", "page": r"\d{1,4}"},
    _changes_page,
)
ChangesPageButton = CHANGES.button

DYNAMIC_ITEMS: tuple[type[discord.ui.DynamicItem[Any]], ...] = (
    ListPage,
    ListTag,
    ChangesPageButton,
)


# -- the form ---------------------------------------------------------------------------------


class AddEndpointModal(Form):
    """`/spec add`: one endpoint typed by hand (method, path, summary, two examples)."""

    def __init__(self, spec_name: str) -> None:
        super().__init__(
            title=render.clip(f"Add an endpoint to {spec_name}", MODAL_TITLE),
            again=lambda: AddEndpointModal(spec_name),
        )
        self.spec_name = spec_name
        self.method = self.field(
            "spec:add:method", "Method", "GET, POST, PUT, PATCH or DELETE", max_length=7
        )
        self.path = self.field("spec:add:path", "Path", "/api/v1/bookings/{id}/", max_length=400)
        self.summary = self.field(
            "spec:add:summary", "Summary", "What it does, in one line", max_length=SUMMARY_MAX
        )
        self.request_example = self.field(
            "spec:add:request_example",
            "Request example (optional)",
            '{"listing": 42, "check_in": "2026-07-10", "guests": 2}',
            max_length=EXAMPLE_MAX,
            long=True,
            required=False,
        )
        self.response_example = self.field(
            "spec:add:response_example",
            "Response example (optional)",
            '{"id": 981, "status": "pending"}',
            max_length=EXAMPLE_MAX,
            long=True,
            required=False,
        )

    async def on_submit(self, interaction: Interaction) -> None:
        draft = make_manual_draft(
            self.method.value,
            self.path.value,
            self.summary.value,
            self.request_example.value,
            self.response_example.value,
        )
        view = await services(interaction).specs.add_manual(
            server(interaction, WHERE), actor(interaction), self.spec_name, draft
        )
        await interaction.response.send_message(
            endpoint.manual_saved_text(view, interaction.user.id),
            embed=endpoint.endpoint_embed(view),
        )
