"""Announcing a new spec version: its summary in the spec channel, then its followers mentioned
under it (the only pings /spec sends, each naming exactly its members).
"""

from __future__ import annotations

import logging
from typing import Any

import discord

from bot.specs import ImportReport
from cogs.specs import render

log = logging.getLogger(__name__)
Interaction = discord.Interaction[Any]


async def announce(interaction: Interaction, report: ImportReport) -> str | None:
    """Post the new version's summary to the spec channel (else where the import ran), then
    mention its followers under it: each notice pings exactly the members it names.

    Returns a note for the importer when the spec channel could not be used.
    """
    embed = render.announcement_embed(report, interaction.user.id)
    problem: str | None = None
    channel: Any = None
    if report.announce_channel_id is not None and interaction.guild is not None:
        channel = interaction.guild.get_channel(report.announce_channel_id)
        if not isinstance(channel, discord.TextChannel):
            problem = "the spec channel no longer exists"
            channel = None
        else:
            perms = channel.permissions_for(interaction.guild.me)
            if not (perms.send_messages and perms.embed_links):
                problem = f"I may not post embeds in {channel.mention}"
                channel = None
    message: discord.Message | None = None
    if channel is not None:
        try:
            message = await channel.send(embed=embed)
        except discord.HTTPException:
            log.warning("could not announce a spec version in the spec channel", exc_info=True)
            problem = f"posting in {channel.mention} failed"
    if message is None:
        message = await interaction.followup.send(embed=embed, wait=True)
    for content, user_ids in render.follower_notices(report):
        mentions = discord.AllowedMentions(
            everyone=False,
            roles=False,
            replied_user=False,
            users=[discord.Object(user_id) for user_id in user_ids],
        )
        try:
            if channel is not None:
                await channel.send(content, reference=message, allowed_mentions=mentions)
            else:
                await interaction.followup.send(content, allowed_mentions=mentions)
        except discord.HTTPException:
            log.warning("could not mention the followers of a spec", exc_info=True)
            problem = problem or "mentioning its followers failed"
    return problem
