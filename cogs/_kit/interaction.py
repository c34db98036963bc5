"""What every command and component asks of an interaction: the services, the server, who acts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from bot.core.actor import Actor
from bot.errors import BadInput
from cogs._kit.limits import CHOICE_VALUE

if TYPE_CHECKING:
    from bot.client import Services

# An option filled from autocomplete: what a member types there is at most a choice's value.
Picked = app_commands.Range[str, 1, CHOICE_VALUE]


def services(interaction: discord.Interaction[Any]) -> Services:
    """The bot's services (built once in `bot.client`)."""
    found: Services = interaction.client.services
    return found


def server(interaction: discord.Interaction[Any], where: str) -> int:
    """The id of the server the interaction came from; outside one, a friendly refusal.

    `where` names what lives in a server: "Questions and answers", "API specs"...
    """
    if interaction.guild_id is None:
        raise BadInput(f"{where} live in a server: use this there.")
    return interaction.guild_id


def actor(interaction: discord.Interaction[Any]) -> Actor:
    """The member acting: their roles, Manage Server, and Manage Messages server-wide.

    Moderation is judged on the member's server permissions, not on the channel the command
    runs in: a channel overwrite granting Manage Messages moderates that channel's messages in
    Discord, not every question and answer of the server.
    """
    user = interaction.user
    server_wide = (
        user.guild_permissions if isinstance(user, discord.Member) else discord.Permissions.none()
    )
    return Actor(
        user.id,
        frozenset(role.id for role in getattr(user, "roles", [])),
        can_manage=interaction.permissions.manage_guild,
        is_moderator=server_wide.manage_messages,
    )
