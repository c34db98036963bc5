"""Questions as forum posts on Discord: the post and its tags, Solved, archiving, closing.

In a forum, a question is a post titled with the question, its first message the question's
embed and buttons; answers are posted in it. Nexus keeps the forum's tags (bot.qa.forum says
which) and the post's: **Solved** once an answer is accepted or its asker closes it as solved.
A solved post is archived by `archive_due_posts` once quiet; a post closed as a duplicate or
outdated is archived and locked at once. Discord refusing a tag or an archive is logged, never
shown: the question itself is safe in the database.
"""

from __future__ import annotations

import logging
from typing import Any

import discord

from bot.qa import QaService, Question
from bot.qa.forum import SOLVED_TAG, plan_forum_tags, post_name, post_tags
from cogs._kit.limits import FORUM_TAG_NAME, FORUM_TAGS, POST_TAGS, THREAD_NAME

log = logging.getLogger("cogs.qa")

NO_MENTIONS = discord.AllowedMentions.none()
THREAD_ARCHIVED = 50083  # Discord's code for a change to an archived thread
SOLVED_EMOJI = "✅"


def _qa(client: discord.Client) -> QaService:
    qa: QaService = client.services.qa  # type: ignore[attr-defined]
    return qa


async def channel_of(client: discord.Client, guild_id: int, channel_id: int) -> Any:
    """The channel (or thread) by id: from the cache, else asked of Discord (None: gone)."""
    guild = client.get_guild(guild_id)
    found = guild.get_channel_or_thread(channel_id) if guild is not None else None
    if found is not None:
        return found
    try:
        return await client.fetch_channel(channel_id)
    except discord.HTTPException:
        return None


async def forum_at(client: discord.Client, guild_id: int, channel_id: int) -> Any:
    """The forum `channel_id` is, or None when it is another kind of channel."""
    guild = client.get_guild(guild_id)
    cached = guild.get_channel_or_thread(channel_id) if guild is not None else None
    if cached is not None:
        return cached if isinstance(cached, discord.ForumChannel) else None
    found = await channel_of(client, guild_id, channel_id)
    return found if isinstance(found, discord.ForumChannel) else None


def _tag(forum: discord.ForumChannel, name: str) -> discord.ForumTag | None:
    return next((t for t in forum.available_tags if t.name.casefold() == name.casefold()), None)


async def keep_tags(
    client: discord.Client, forum: discord.ForumChannel, question: Question
) -> discord.ForumChannel:
    """The forum, offering **Solved** and the question's tags when Discord lets it (room is
    made by dropping a less used tag of Nexus's); as it was when it cannot (no Manage Channels).
    """
    usage = await _qa(client).tag_usage(forum.guild.id)
    names = [t.name for t in forum.available_tags]
    plan = plan_forum_tags(names, usage, question.tags, most=FORUM_TAGS, longest=FORUM_TAG_NAME)
    if plan is None:
        return forum
    tags = [
        _tag(forum, name)
        or discord.ForumTag(name=name, emoji=SOLVED_EMOJI if name == SOLVED_TAG else None)
        for name in plan
    ]
    try:
        edited = await forum.edit(available_tags=tags)
    except discord.HTTPException:
        log.info("could not change the tags of forum %s", forum.id, exc_info=True)
        return forum
    return edited if isinstance(edited, discord.ForumChannel) else forum


def _applied(forum: discord.ForumChannel, question: Question, *, solved: bool) -> list[Any]:
    names = [t.name for t in forum.available_tags]
    chosen = post_tags(question, names, solved=solved, most=POST_TAGS)
    return [tag for name in chosen if (tag := _tag(forum, name)) is not None]


async def create_post(
    client: discord.Client,
    forum: discord.ForumChannel,
    question: Question,
    embed: discord.Embed,
    view: discord.ui.View,
) -> discord.Thread:
    """Post the question in the forum with its tags; the post (raises what Discord refused)."""
    forum = await keep_tags(client, forum, question)
    made = await forum.create_thread(
        name=post_name(question.title, THREAD_NAME),
        embed=embed,
        view=view,
        applied_tags=_applied(forum, question, solved=False),
        allowed_mentions=NO_MENTIONS,
    )
    return made.thread


async def _post_of(client: discord.Client, question: Question) -> discord.Thread | None:
    if question.forum_id is None or question.channel_id is None:
        return None
    found = await channel_of(client, question.guild_id, question.channel_id)
    return found if isinstance(found, discord.Thread) else None


async def update_post(
    client: discord.Client,
    question: Question,
    *,
    solved: bool,
    archived: bool = False,
    locked: bool = False,
    reopen: bool = True,
) -> None:
    """Tag a question's post (**Solved** when `solved`) and name it after its title; archive
    or lock it. An archived post is opened again (unless not to `reopen`: then it stays).
    """
    thread = await _post_of(client, question)
    if thread is None or (thread.archived and not reopen):
        return
    forum = thread.parent
    options: dict[str, Any] = {"name": post_name(question.title, THREAD_NAME)}
    if isinstance(forum, discord.ForumChannel):
        forum = await keep_tags(client, forum, question)
        options["applied_tags"] = _applied(forum, question, solved=solved)
    if archived:
        options.update(archived=True, locked=locked)
    for attempt in range(2):
        try:
            if thread.archived:  # an archived post takes no change until it is opened again
                if not reopen:
                    return
                thread = await thread.edit(archived=False)
            await thread.edit(**options)
            return
        except discord.HTTPException as exc:
            if exc.code == THREAD_ARCHIVED and attempt == 0:
                # Archived, though the bot had not heard it yet (Discord's THREAD_UPDATE was
                # still on its way, or missed): read the post as it is, then decide again.
                fresh = await _fetched(client, thread.id)
                if fresh is not None:
                    thread = fresh
                    continue
            log.info("could not update the post of question %s", question.id, exc_info=True)
            return


async def _fetched(client: discord.Client, thread_id: int) -> discord.Thread | None:
    try:
        found = await client.fetch_channel(thread_id)
    except discord.HTTPException:
        return None
    return found if isinstance(found, discord.Thread) else None


async def delete_post(client: discord.Client, question: Question) -> None:
    """Delete a question's post, its answers with it."""
    thread = await _post_of(client, question)
    if thread is None:
        return
    try:
        await thread.delete()
    except discord.HTTPException:
        log.info("could not delete the post of question %s", question.id, exc_info=True)


async def archive_post(client: discord.Client, question: Question) -> bool:
    """Archive a question's post; whether it is done (a post that is gone counts as done)."""
    thread = await _post_of(client, question)
    if thread is None:
        return True
    if thread.archived:
        return True
    try:
        await thread.edit(archived=True)
    except discord.HTTPException as exc:
        if exc.code == THREAD_ARCHIVED:  # archived already, before the bot heard it
            return True
        if isinstance(exc, discord.NotFound | discord.Forbidden):  # gone, or never allowed
            log.info("the post of question %s cannot be archived", question.id, exc_info=True)
            return True
        log.info("could not archive the post of question %s", question.id, exc_info=True)
        return False
    return True


async def archive_due_posts(client: discord.Client) -> int:
    """Archive every solved post whose quiet period is over, each once; how many were."""
    qa = _qa(client)
    archived = 0
    for question in await qa.due_posts():
        due = await qa.claim_archive(question.id)
        if due is None:  # another round (or bot) took it
            continue
        if await archive_post(client, question):
            archived += 1
        else:
            await qa.release_archive(question.id, due)
    return archived
