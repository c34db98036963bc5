"""Discord UI building blocks shared by the cogs."""

from __future__ import annotations

import logging
import re
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
