"""Autocomplete for /spec: the server's specs, and the endpoints, tags and versions of the spec
already chosen in the same command.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import discord
from discord import app_commands

from bot.specs import Choice, SpecsService
from cogs._kit.interaction import services
from cogs._kit.ui import choices, suggestions_in_time

Interaction = discord.Interaction[Any]
Autocomplete = Callable[[Interaction, str], Coroutine[Any, Any, list[app_commands.Choice[str]]]]
# What to suggest within one spec: (service, server, spec name, typed text) -> choices.
WithinSpec = Callable[[SpecsService, int, str, str], Awaitable[list[Choice]]]


async def _answer(
    interaction: Interaction, found: Awaitable[list[Choice]]
) -> list[app_commands.Choice[str]]:
    ready = await suggestions_in_time(interaction, found)
    return choices((choice.label, choice.value) for choice in ready)


async def spec_names(interaction: Interaction, current: str) -> list[app_commands.Choice[str]]:
    """The server's specs whose names match what is typed."""
    if interaction.guild_id is None:
        return []
    specs = services(interaction).specs
    return await _answer(interaction, specs.suggest_specs(interaction.guild_id, current))


def within_spec(suggest: WithinSpec) -> Autocomplete:
    """An autocomplete over the spec named in the command's `spec` option (none before it)."""

    async def names(interaction: Interaction, current: str) -> list[app_commands.Choice[str]]:
        spec = getattr(interaction.namespace, "spec", None)
        if interaction.guild_id is None or not spec:
            return []
        found = suggest(services(interaction).specs, interaction.guild_id, str(spec), current)
        return await _answer(interaction, found)

    return names


endpoint_names = within_spec(lambda specs, *args: specs.suggest_endpoints(*args))
tag_names = within_spec(lambda specs, *args: specs.suggest_tags(*args))
version_names = within_spec(lambda specs, *args: specs.suggest_versions(*args))
