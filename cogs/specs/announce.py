"""Announcing a new spec version: its summary in the spec channel, then its followers mentioned
under it (the only pings /spec sends, each naming exactly its members).

An import announces where `/spec import` ran when the server has no usable spec channel; a push
from CI, in the channel its token was made in.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import discord

from bot.specs import ImportReport
from bot.specs.tokens import PushGrant
from cogs.specs import render

log = logging.getLogger(__name__)
Interaction = discord.Interaction[Any]
# Posts a follower notice (content, mentions) where the announcement went.
Notify = Callable[[str, discord.AllowedMentions], Awaitable[Any]]


def usable_channel(
    guild: discord.Guild | None, channel_id: int | None, what: str
) -> tuple[discord.TextChannel | None, str | None]:
    """The text channel `channel_id` if the bot may post embeds there, else why not (`what`
    names it in the note).
    """
    if channel_id is None or guild is None:
        return None, None
    channel = guild.get_channel(channel_id)
    if not isinstance(channel, discord.TextChannel):
        return None, f"{what} no longer exists"
    perms = channel.permissions_for(guild.me)
    if not (perms.send_messages and perms.embed_links):
        return None, f"I may not post embeds in {channel.mention}"
    return channel, None


async def post_in(
    channel: discord.TextChannel, embed: discord.Embed
) -> tuple[discord.Message | None, str | None]:
    """The announcement posted in `channel`, or why it could not be."""
    try:
        return await channel.send(embed=embed), None
    except discord.HTTPException:
        log.warning("could not announce a spec version in %s", channel.id, exc_info=True)
        return None, f"posting in {channel.mention} failed"


def under(channel: discord.TextChannel, announcement: discord.Message) -> Notify:
    """Posts follower notices in `channel`, as replies to the announcement."""

    async def notify(content: str, mentions: discord.AllowedMentions) -> Any:
        return await channel.send(content, reference=announcement, allowed_mentions=mentions)

    return notify


async def mention_followers(report: ImportReport, notify: Notify) -> str | None:
    """Each follower notice, pinging exactly the members it names; a note if one failed."""
    problem = None
    for content, user_ids in render.follower_notices(report):
        mentions = discord.AllowedMentions(
            everyone=False,
            roles=False,
            replied_user=False,
            users=[discord.Object(user_id) for user_id in user_ids],
        )
        try:
            await notify(content, mentions)
        except discord.HTTPException:
            log.warning("could not mention the followers of a spec", exc_info=True)
            problem = "mentioning its followers failed"
    return problem


async def announce(interaction: Interaction, report: ImportReport) -> str | None:
    """Post the new version's summary to the spec channel (else where the import ran), then
    mention its followers under it: each notice pings exactly the members it names.

    Returns a note for the importer when the spec channel could not be used.
    """
    embed = render.announcement_embed(report, interaction.user.id)
    channel, problem = usable_channel(
        interaction.guild, report.announce_channel_id, "the spec channel"
    )
    message: discord.Message | None = None
    if channel is not None:
        message, problem = await post_in(channel, embed)
    if message is None:
        await interaction.followup.send(embed=embed, wait=True)

        async def notify(content: str, mentions: discord.AllowedMentions) -> Any:
            return await interaction.followup.send(content, allowed_mentions=mentions)

        followers = await mention_followers(report, notify)
    else:
        assert channel is not None
        followers = await mention_followers(report, under(channel, message))
    return problem or followers


async def announce_push(
    guild: discord.Guild | None, report: ImportReport, grant: PushGrant
) -> tuple[int | None, str | None]:
    """Post a version pushed from CI to the spec channel, else to the channel its token was
    made in, then mention its followers under it. Where it went (a channel id), or why it
    could not be posted (the version is stored either way).
    """
    if guild is None:
        return None, "I do not see this server right now; the version is stored"
    embed = render.announcement_embed(report, grant.created_by, pushed=True)
    problems: list[str] = []
    places = (
        (report.announce_channel_id, "the spec channel"),
        (grant.channel_id, "the channel the token was made in"),
    )
    for channel_id, what in places:
        channel, problem = usable_channel(guild, channel_id, what)
        message = None
        if channel is not None:
            message, problem = await post_in(channel, embed)
        if problem:
            problems.append(problem)
        if channel is None or message is None:
            continue
        followers = await mention_followers(report, under(channel, message))
        return channel.id, "; ".join([*problems, *([followers] if followers else [])]) or None
    if not problems:
        problems.append("the server has no spec channel (`/spec setup channel:`)")
    return None, "not announced: " + "; ".join(problems)
