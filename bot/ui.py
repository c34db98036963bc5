"""Discord UI building blocks shared by the cogs."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import discord

from bot.errors_ui import reply_error

log = logging.getLogger(__name__)

ItemT = TypeVar("ItemT", bound=discord.ui.Item[Any])


class SafeView(discord.ui.View):
    """A View whose errors reach the user as a friendly ephemeral message."""

    async def on_error(
        self, interaction: discord.Interaction[Any], error: Exception, item: discord.ui.Item[Any]
    ) -> None:
        await reply_error(interaction, error)


class OwnedView(SafeView):
    """A short-lived View that only the member who asked for it may press."""

    def __init__(self, owner_id: int, *, timeout: float = 600) -> None:
        super().__init__(timeout=timeout)
        self.owner_id = owner_id

    async def interaction_check(self, interaction: discord.Interaction[Any]) -> bool:
        if interaction.user.id == self.owner_id:
            return True
        await interaction.response.send_message(
            "These buttons belong to the member who ran the command; run it yourself to browse.",
            ephemeral=True,
        )
        return False


class Confirm(OwnedView):
    """One member's yes-or-cancel before something that cannot be undone.

    `action` runs on yes and returns the text that replaces the prompt; `custom_id` names the
    pair (`<custom_id>:yes`, `<custom_id>:no`).
    """

    def __init__(
        self,
        owner_id: int,
        *,
        label: str,
        custom_id: str,
        action: Callable[[discord.Interaction[Any]], Awaitable[str]],
        cancelled: str,
    ) -> None:
        super().__init__(owner_id, timeout=300)
        self.action, self.cancelled = action, cancelled
        yes: discord.ui.Button[Confirm] = discord.ui.Button(
            label=label, style=discord.ButtonStyle.danger, custom_id=f"{custom_id}:yes"
        )
        no: discord.ui.Button[Confirm] = discord.ui.Button(
            label="Cancel", style=discord.ButtonStyle.secondary, custom_id=f"{custom_id}:no"
        )
        yes.callback = self._confirm  # type: ignore[method-assign]
        no.callback = self._cancel  # type: ignore[method-assign]
        self.add_item(yes)
        self.add_item(no)

    async def _confirm(self, interaction: discord.Interaction[Any]) -> None:
        done = await self.action(interaction)
        self.stop()
        await interaction.response.edit_message(content=done, view=None)

    async def _cancel(self, interaction: discord.Interaction[Any]) -> None:
        self.stop()
        await interaction.response.edit_message(content=self.cancelled, view=None)


async def run_safely(interaction: discord.Interaction[Any], coro: Any) -> None:
    """Await a component callback; any error becomes a friendly reply, never a dead button."""
    try:
        await coro
    except Exception as error:  # a dynamic item's errors are otherwise only logged
        await reply_error(interaction, error)


def sanitize_label(text: str, limit: int = 80) -> str:
    """A button or select label: one line, inside Discord's limit."""
    flat = re.sub(r"\s+", " ", text).strip()
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
