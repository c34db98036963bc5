"""Autocomplete for Q&A: the server's questions (open ones, or any) and the member's own answers
(a moderator's: anyone's), by their words or their number.
"""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands

from cogs._kit.interaction import actor, services
from cogs._kit.limits import CHOICES
from cogs._kit.ui import choices, suggestions_in_time
from cogs.qa import render

Interaction = discord.Interaction[Any]


async def _questions(
    interaction: Interaction, current: str, *, unaccepted_only: bool
) -> list[app_commands.Choice[str]]:
    if interaction.guild_id is None:
        return []
    qa = services(interaction).qa
    found = qa.suggest(
        interaction.guild_id, current, unaccepted_only=unaccepted_only, limit=CHOICES
    )
    questions = await suggestions_in_time(interaction, found)
    return choices((render.choice_name(q), str(q.id)) for q in questions)


async def open_questions(interaction: Interaction, current: str) -> list[app_commands.Choice[str]]:
    """Questions with no accepted answer yet, matching what is typed."""
    return await _questions(interaction, current, unaccepted_only=True)


async def any_question(interaction: Interaction, current: str) -> list[app_commands.Choice[str]]:
    """Any question of the server matching what is typed."""
    return await _questions(interaction, current, unaccepted_only=False)


async def own_answers(interaction: Interaction, current: str) -> list[app_commands.Choice[str]]:
    """The member's answers (a moderator's: anyone's) matching what is typed."""
    if interaction.guild_id is None:
        return []
    found = services(interaction).qa.suggest_answers(
        interaction.guild_id, actor(interaction), current, limit=CHOICES
    )
    answers = await suggestions_in_time(interaction, found)
    return choices((render.answer_choice_name(a), str(a.id)) for a in answers)
