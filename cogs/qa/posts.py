"""Forum posts' commands: the channel `/qa setup` takes (a text channel or a forum, which Nexus
must be able to post and keep tidy in), and `/qa close`, by which an asker closes their post as
solved, a duplicate of another question, or outdated.

`/qa close` is a method of `PostCommands`, taken into the `/qa` group by the Q&A cog. The
close is one write; then the post says why (pinging nobody), its first message is redrawn and
it is tagged, archived, and locked unless solved.
"""

from __future__ import annotations

import logging
from typing import Any, cast

import discord
from discord import app_commands
from discord.app_commands.transformers import UnionChannelTransformer
from discord.ext import commands

from bot.errors import BadInput
from bot.qa import parse_ref
from bot.qa.forum import CloseReason
from cogs._kit.interaction import Picked, actor, server, services
from cogs._kit.ui import in_time, respond
from cogs.qa import render
from cogs.qa.autocomplete import any_question
from cogs.qa.forum import NO_MENTIONS, update_post
from cogs.qa.question import WHERE, jump_url, redraw

log = logging.getLogger("cogs.qa")

Interaction = discord.Interaction[Any]
CLOSE_CHOICES = [
    app_commands.Choice(name="Solved", value="solved"),
    app_commands.Choice(name="A duplicate of another question", value="duplicate"),
    app_commands.Choice(name="Outdated", value="outdated"),
]
FORUM_NEEDS = (
    "I cannot run questions in {where}: give me View Channel, Send Messages, Send Messages "
    "in Threads, Embed Links and Manage Threads there first."
)
NO_TAGS = (
    "\n⚠️ I cannot change this forum's tags: give me Manage Channels there, and posts will "
    "carry their tags and **Solved**."
)


class QaChannelTransformer(UnionChannelTransformer[discord.Client]):
    """A text or announcement channel, or a forum (not a media channel: Nexus does not post
    in those).
    """

    @property
    def channel_types(self) -> list[discord.ChannelType]:
        return [discord.ChannelType.text, discord.ChannelType.news, discord.ChannelType.forum]


QaChannel = app_commands.Transform[
    discord.TextChannel | discord.ForumChannel,
    QaChannelTransformer(discord.TextChannel, discord.ForumChannel),
]


def can_post_in(channel: discord.TextChannel | discord.ForumChannel) -> str:
    """Refuse a channel Nexus cannot post in; a note when a forum's tags are out of reach."""
    me = channel.guild.me
    perms = channel.permissions_for(me) if me is not None else None
    if perms is None:
        return ""
    if isinstance(channel, discord.ForumChannel):
        if not (
            perms.view_channel
            and perms.send_messages
            and perms.send_messages_in_threads
            and perms.embed_links
            and perms.manage_threads
        ):
            raise BadInput(FORUM_NEEDS.format(where=channel.mention))
        return "" if perms.manage_channels else NO_TAGS
    if not (perms.view_channel and perms.send_messages and perms.embed_links):
        raise BadInput(
            f"I cannot post in {channel.mention}: give me View Channel, Send Messages "
            "and Embed Links there first."
        )
    return ""


def helper_note(role: discord.Role) -> str:
    """Refuse @everyone as the helper role; a note when a nudge could not ping the role."""
    if role.is_default():
        raise BadInput("Pick a role of helpers, not @everyone: nudges never ping everyone.")
    me = role.guild.me
    if role.mentionable or (me is not None and me.guild_permissions.mention_everyone):
        return ""
    return (
        f"\n⚠️ {role.mention} is not mentionable: nudges will name it without notifying its "
        "members until it is (Server Settings → Roles → Allow anyone to @mention this role)."
    )


class PostCommands(commands.Cog):
    """The callback of `/qa close` (the Q&A cog registers it in its `/qa` group; it uses
    nothing of the cog but the interaction).
    """

    @app_commands.describe(
        reason="Why it is closed",
        duplicate_of="The question it repeats (when it is a duplicate)",
        question="The post to close; leave empty inside it",
    )
    @app_commands.choices(reason=CLOSE_CHOICES)
    @app_commands.autocomplete(duplicate_of=any_question, question=any_question)
    async def close(
        self,
        interaction: Interaction,
        reason: app_commands.Choice[str],
        duplicate_of: Picked | None = None,
        question: Picked | None = None,
    ) -> None:
        qa, guild_id = services(interaction).qa, server(interaction, WHERE)
        duplicate = parse_ref(duplicate_of, "question") if duplicate_of else None
        if question is not None:
            question_id = parse_ref(question, "question")
        else:
            here = await in_time(
                interaction,
                qa.question_at(guild_id, interaction.channel_id or 0, []),
                ephemeral=True,
            )
            if here is None:
                raise BadInput(
                    "Use `/qa close` inside your question's post, or name it with `question:`."
                )
            question_id = here.id
        why = cast(CloseReason, reason.value)
        closed = await in_time(
            interaction,
            qa.close(guild_id, question_id, actor(interaction), why, duplicate),
            ephemeral=True,
        )
        await respond(
            interaction,
            content=f"🔒 Question #{closed.id} is {render.closed_text(closed)}.",
            ephemeral=True,
        )
        url = None
        if closed.duplicate_of is not None:
            url = jump_url(await qa.get(guild_id, closed.duplicate_of))
        if closed.channel_id is not None:
            post = interaction.client.get_partial_messageable(closed.channel_id, guild_id=guild_id)
            try:
                await post.send(
                    render.closed_note(closed, interaction.user.id, url),
                    allowed_mentions=NO_MENTIONS,
                )
            except discord.HTTPException:
                log.info("could not say why question %s was closed", closed.id, exc_info=True)
        await redraw(interaction.client, closed)
        solved = closed.close_reason == "solved"
        await update_post(
            interaction.client, closed, solved=solved, archived=True, locked=not solved
        )
