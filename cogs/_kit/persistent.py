r"""Persistent buttons and select menus: their custom_id carries what they act on, so they keep
working after a restart. A feature declares an `Action` (a button) or a `Menu` (a select) — the
custom_id's shape and what a click or a choice does — and the kit builds the component, reads
it back from the interaction, and turns any error into a friendly reply:

    ANSWER = Action("qa:answer:{qid}", {"qid": r"\d{1,18}"}, open_answer_form)
    view.add_item(ANSWER.make("Answer", {"qid": question.id}, emoji="💬"))
    bot.add_dynamic_items(ANSWER.button)
"""

from __future__ import annotations

import re
import string
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, ClassVar, Self, TypeVar, cast

import discord

from cogs._kit.limits import CUSTOM_ID, SELECT_OPTIONS
from cogs._kit.ui import run_safely

Interaction = discord.Interaction[Any]
ItemT = TypeVar("ItemT", bound=discord.ui.Item[Any])
T = TypeVar("T")
# What a click does: (the click, what the custom_id carried) -> None (it answers the click).
Act = Callable[[Interaction, Mapping[str, str]], Awaitable[None]]
# What a choice does: (the choice, what the custom_id carried, the values chosen) -> None.
Pick = Callable[[Interaction, Mapping[str, str], list[str]], Awaitable[None]]


def _template(shape: str, fields: Mapping[str, str]) -> str:
    """The regular expression that reads `shape`'s fields back from a custom_id."""
    return "".join(
        re.escape(literal) + (f"(?P<{name}>{fields[name]})" if name else "")
        for literal, name, _, _ in string.Formatter().parse(shape)
    )


def _custom_id(shape: str, state: Mapping[str, object]) -> str:
    """`shape` filled with `state`, cut to Discord's length (only the last field may be cut)."""
    return shape.format(**state)[:CUSTOM_ID]


def _kind_of(base: type[T], shape: str, fields: Mapping[str, str], **owner: object) -> type[T]:
    """A subclass of `base` that reads custom_ids of `shape` (its name says which, for logs)."""
    name = "".join(part.title() for part in re.findall(r"[a-z]+", shape)) + base.__name__
    return type(name, (base,), dict(owner), template=_template(shape, fields))


class Action:
    """One kind of persistent button: its custom_id's shape, and what a click does.

    `shape` is a format string naming every field, e.g. `"qa:accept:{qid}:{aid}"`; `fields`
    gives each field's pattern. Only the last field may be free text: a custom_id longer than
    Discord allows is cut there.
    """

    def __init__(self, shape: str, fields: Mapping[str, str], act: Act) -> None:
        self.shape, self.act = shape, act
        self.button = _kind_of(ActionButton, shape, fields, action=self)

    def make(
        self,
        label: str | None,
        state: Mapping[str, object],
        *,
        emoji: str | None = None,
        style: discord.ButtonStyle = discord.ButtonStyle.secondary,
        disabled: bool = False,
        row: int | None = None,
    ) -> ActionButton:
        """A button of this kind carrying `state` (a value for every field of the shape)."""
        button: discord.ui.Button[Any] = discord.ui.Button(
            label=label,
            emoji=emoji,
            style=style,
            disabled=disabled,
            custom_id=_custom_id(self.shape, state),
            row=row,
        )
        return self.button(button, state)


class _Persistent(discord.ui.DynamicItem[ItemT], template=r"(?!)"):
    """A component whose custom_id carries `state`: read back as it came with the interaction."""

    def __init__(self, item: ItemT, state: Mapping[str, object]) -> None:
        super().__init__(item)
        self.state = {key: str(value) for key, value in state.items()}

    @classmethod
    async def from_custom_id(
        cls, interaction: Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> Self:
        """The component that was used, with what its custom_id carries."""
        return cls(cast(ItemT, item), match.groupdict())


class ActionButton(_Persistent[discord.ui.Button[Any]], template=r"(?!)"):
    """A button of some `Action` (each action has its own subclass, with its own template)."""

    action: ClassVar[Action]

    async def callback(self, interaction: Interaction) -> None:
        """Do what this button does; any error becomes a friendly reply, never a dead button."""
        await run_safely(interaction, self.action.act(interaction, self.state))


class Menu:
    """One kind of persistent select menu: its custom_id's shape and what a choice does."""

    def __init__(
        self, shape: str, fields: Mapping[str, str], pick: Pick, *, placeholder: str
    ) -> None:
        self.shape, self.pick, self.placeholder = shape, pick, placeholder
        self.select = _kind_of(MenuSelect, shape, fields, menu=self)

    def make(
        self,
        state: Mapping[str, object],
        options: Sequence[discord.SelectOption],
        *,
        row: int | None = None,
    ) -> MenuSelect:
        """A menu of this kind carrying `state`, offering `options` (Discord's first 25)."""
        select: discord.ui.Select[Any] = discord.ui.Select(
            placeholder=self.placeholder,
            options=list(options)[:SELECT_OPTIONS],
            custom_id=_custom_id(self.shape, state),
            row=row,
        )
        return self.select(select, state)


class MenuSelect(_Persistent[discord.ui.Select[Any]], template=r"(?!)"):
    """A select menu of some `Menu` (each menu has its own subclass, with its own template)."""

    menu: ClassVar[Menu]

    async def callback(self, interaction: Interaction) -> None:
        """Do what choosing does; any error becomes a friendly reply."""
        await run_safely(interaction, self.menu.pick(interaction, self.state, self.item.values))
