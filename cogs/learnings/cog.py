"""/concept, /challenge, /tips and /search: the learnings, answered from the knowledge base."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.errors import NotFound
from bot.learnings import Found, LearningsService, Suggestions
from cogs._kit.interaction import Picked
from cogs._kit.ui import in_time, respond
from cogs.learnings import render
from cogs.learnings.views import (
    DYNAMIC_ITEMS,
    KIND_CHOICES,
    SEARCH_QUERY_MAX,
    TOPIC_CHOICES,
    entry_message,
    index_message,
    names_of,
    search_message,
    suggestions_message,
    tip_message,
)

if TYPE_CHECKING:
    from bot.client import Nexus

Interaction = discord.Interaction[Any]


# -- the cog ----------------------------------------------------------------------------------


class Learnings(commands.Cog):
    """Backend concepts, challenges and tips from the community's knowledge base."""

    def __init__(self, bot: Nexus) -> None:
        self.bot = bot

    @property
    def learnings(self) -> LearningsService:
        """The knowledge base (the bot's, built once)."""
        return self.bot.services.learnings

    async def _answer(self, interaction: Interaction, query: str, kind: str) -> None:
        result = self.learnings.lookup(query, kind)  # from memory, at once
        if isinstance(result, Found):
            embed, view = entry_message(self.learnings, result.entry, 1)
            await interaction.response.send_message(embed=embed, view=view)
            return
        # Nothing named clearly: what covers the words comes from the database, so the
        # (private) answer is deferred when the database is too busy to answer in time.
        result = await in_time(interaction, self.learnings.widen(result, kind), ephemeral=True)
        if isinstance(result, Suggestions):
            embed, view = suggestions_message(result)
            await respond(interaction, embed=embed, view=view, ephemeral=True)
        else:
            await respond(interaction, content=render.not_found(query, kind), ephemeral=True)

    @app_commands.command(
        name="concept", description="Explain a backend concept, e.g. jwt, n+1, celery beat"
    )
    @app_commands.describe(name="The concept to explain; leave empty to browse them all by topic")
    @app_commands.autocomplete(name=names_of("concept"))
    async def concept(self, interaction: Interaction, name: Picked | None = None) -> None:
        if name is None:
            embed, view = index_message(self.learnings, "concept", None, 1)
            await interaction.response.send_message(embed=embed, view=view)
            return
        await self._answer(interaction, name, "concept")

    @app_commands.command(
        name="challenge", description="A challenge learners met, and how they solved it"
    )
    @app_commands.describe(
        name="The challenge to show; leave empty for a random one",
        topic="Pick a random challenge from this topic",
    )
    @app_commands.choices(topic=TOPIC_CHOICES)
    @app_commands.autocomplete(name=names_of("challenge"))
    async def challenge(
        self,
        interaction: Interaction,
        name: Picked | None = None,
        topic: app_commands.Choice[str] | None = None,
    ) -> None:
        if name is not None:
            await self._answer(interaction, name, "challenge")
            return
        entry = self.learnings.pick("challenge", topic.value if topic else None)
        if entry is None:
            raise NotFound(
                f"There is no challenge about {topic.name if topic else 'anything'} yet."
            )
        embed, view = entry_message(self.learnings, entry, 1)
        await interaction.response.send_message(embed=embed, view=view)

    @app_commands.command(
        name="tips", description="A best-practice tip, with another one a click away"
    )
    @app_commands.describe(topic="Only tips about this topic")
    @app_commands.choices(topic=TOPIC_CHOICES)
    async def tips(
        self, interaction: Interaction, topic: app_commands.Choice[str] | None = None
    ) -> None:
        code = topic.value if topic else "all"
        if not self.learnings.all("tip", None if code == "all" else code):
            raise NotFound(f"There are no tips about {topic.name if topic else 'anything'} yet.")
        seed = random.randrange(1, 2**31)  # noqa: S311 - shuffling tips, not security
        embed, view = tip_message(self.learnings, code, seed, 0)
        await interaction.response.send_message(embed=embed, view=view)

    @app_commands.command(name="search", description="Search every concept, challenge and tip")
    @app_commands.describe(
        query="Words to look for, e.g. celery retries", kind="Only this kind of learning"
    )
    @app_commands.choices(kind=KIND_CHOICES)
    async def search(
        self,
        interaction: Interaction,
        query: app_commands.Range[str, 1, SEARCH_QUERY_MAX],
        kind: app_commands.Choice[str] | None = None,
    ) -> None:
        query = " ".join(query.split())
        found = search_message(
            self.learnings,
            query,
            kind.value if kind else "a",
            1,
            self.bot.services.qa,
            interaction.guild_id,
        )
        embed, view = await in_time(interaction, found)
        await respond(interaction, embed=embed, view=view)


async def setup(bot: Nexus) -> None:
    bot.add_dynamic_items(*DYNAMIC_ITEMS)
    await bot.add_cog(Learnings(bot))
