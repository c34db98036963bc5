r"""The one persistent pager: ◀ Previous and Next ▶ buttons whose custom_id carries what they page.

A feature declares a `Book` for each kind of paged message: the shape of its buttons' custom_id
(what to read back after a restart) and how to draw page N. The pager makes the buttons, reads
them back, turns the page in place, and answers a broken page with a friendly error:

    ANSWERS = Book(
        "qa:apage:{qid}:{page}", {"qid": ID, "page": r"\d{1,4}"}, answers_page, row=1
    )
    ANSWERS.add_to(view, page, pages, qid=str(question.id))
    bot.add_dynamic_items(ANSWERS.button)
"""

from __future__ import annotations

import re
import string
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import discord

from cogs._kit.interaction import item_label
from cogs._kit.limits import CUSTOM_ID
from cogs._kit.ui import run_safely

Interaction = discord.Interaction[Any]
# Draws one page: (the click, what the custom_id carried, the page wanted) -> the message.
Turn = Callable[
    [Interaction, Mapping[str, str], int], Awaitable[tuple[discord.Embed, discord.ui.View]]
]
PREVIOUS, NEXT = "◀ Previous", "Next ▶"


class Book:
    """One kind of paged message: its buttons' custom_id shape and how a page is drawn.

    `shape` is a format string naming every field (`page` among them), e.g.
    `"spec:chg:{spec}:{older}:{newer}:{page}"`; `fields` gives each field's pattern. Only the
    last field may be free text: a custom_id longer than Discord allows is cut there.
    """

    def __init__(
        self, shape: str, fields: Mapping[str, str], turn: Turn, *, row: int | None = None
    ) -> None:
        self.shape, self.turn, self.row = shape, turn, row
        parts = string.Formatter().parse(shape)
        template = "".join(
            re.escape(literal) + (f"(?P<{name}>{fields[name]})" if name else "")
            for literal, name, _, _ in parts
        )
        self.button = _button_class(self, template)

    def custom_id(self, page: int, state: Mapping[str, str]) -> str:
        """The custom_id of the button that shows page `page`."""
        return self.shape.format(page=page, **state)[:CUSTOM_ID]

    def buttons(
        self, page: int, pages: int, **state: str
    ) -> list[discord.ui.DynamicItem[discord.ui.Button[Any]]]:
        """◀ Previous and Next ▶ around page `page` of `pages` (none when there is one page)."""
        if pages <= 1:
            return []
        return [
            self.button(page - 1, state, PREVIOUS, disabled=page <= 1),
            self.button(page + 1, state, NEXT, disabled=page >= pages),
        ]

    def add_to(self, view: discord.ui.View, page: int, pages: int, **state: str) -> None:
        """Add this book's page buttons for page `page` of `pages` to `view`."""
        for button in self.buttons(page, pages, **state):
            view.add_item(button)


class PageButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"(?!)"):
    """A page button of some book (each book has its own subclass, with its own template)."""

    book: Book

    def __init__(
        self, page: int, state: Mapping[str, str], label: str, *, disabled: bool = False
    ) -> None:
        super().__init__(
            discord.ui.Button(
                label=label,
                style=discord.ButtonStyle.secondary,
                disabled=disabled,
                custom_id=self.book.custom_id(page, state),
                row=self.book.row,
            )
        )
        self.page, self.state = page, dict(state)

    @classmethod
    async def from_custom_id(
        cls, interaction: Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> PageButton:
        """The button that was clicked, read back from its custom_id."""
        state = {name: value for name, value in match.groupdict().items() if name != "page"}
        return cls(int(match["page"]), state, item_label(item))

    async def callback(self, interaction: Interaction) -> None:
        """Turn to this button's page, in place."""
        await run_safely(interaction, self._turn(interaction))

    async def _turn(self, interaction: Interaction) -> None:
        embed, view = await self.book.turn(interaction, self.state, self.page)
        await interaction.response.edit_message(embed=embed, view=view)


def _button_class(book: Book, template: str) -> type[PageButton]:
    name = "".join(part.title() for part in re.findall(r"[a-z]+", book.shape)) + "Page"
    return type(name, (PageButton,), {"book": book}, template=template)
