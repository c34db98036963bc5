r"""The one persistent pager: ◀ Previous and Next ▶ buttons whose custom_id carries what they
page.

A feature declares a `Book` for each kind of paged message: the shape of its buttons' custom_id
(what to read back after a restart) and how to draw page N. The pager makes the buttons, reads
them back, turns the page in place (acknowledged first when drawing it would outlast Discord's
3 s), and answers a broken page with a friendly error:

    ANSWERS = Book(
        "qa:apage:{qid}:{page}", {"qid": ID, "page": r"\d{1,4}"}, answers_page, row=1
    )
    ANSWERS.add_to(view, page, pages, qid=str(question.id))
    bot.add_dynamic_items(ANSWERS.button)
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import discord

from cogs._kit.persistent import Action, ActionButton
from cogs._kit.ui import answer_in_place, in_time

Interaction = discord.Interaction[Any]
# Draws one page: (the click, what the custom_id carried, the page wanted) -> the message.
Turn = Callable[
    [Interaction, Mapping[str, str], int], Awaitable[tuple[discord.Embed, discord.ui.View]]
]
PREVIOUS, NEXT = "◀ Previous", "Next ▶"


class Book(Action):
    """One kind of paged message: its page buttons' custom_id shape and how a page is drawn.

    `shape` names every field, `page` among them, e.g. `"spec:chg:{spec}:{older}:{newer}:{page}"`;
    a click on a page button draws that page and puts it in place of the message.
    """

    def __init__(
        self, shape: str, fields: Mapping[str, str], turn: Turn, *, row: int | None = None
    ) -> None:
        super().__init__(shape, fields, self._turn)
        self.turn, self.row = turn, row

    async def _turn(self, interaction: Interaction, state: Mapping[str, str]) -> None:
        rest = {name: value for name, value in state.items() if name != "page"}
        page = self.turn(interaction, rest, int(state["page"]))
        embed, view = await in_time(interaction, page, update=True)  # deferred if it is late
        await answer_in_place(interaction, embed=embed, view=view)

    def buttons(self, page: int, pages: int, **state: str) -> list[ActionButton]:
        """◀ Previous and Next ▶ around page `page` of `pages` (none when there is one page)."""
        if pages <= 1:
            return []
        return [
            self.make(PREVIOUS, {**state, "page": page - 1}, disabled=page <= 1, row=self.row),
            self.make(NEXT, {**state, "page": page + 1}, disabled=page >= pages, row=self.row),
        ]

    def add_to(self, view: discord.ui.View, page: int, pages: int, **state: str) -> None:
        """Add this book's page buttons for page `page` of `pages` to `view`."""
        for button in self.buttons(page, pages, **state):
            view.add_item(button)
