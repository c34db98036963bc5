"""Forums and threads in the local Discord, driven by the real discord.py: posts with their first
message, tags, archive and lock, and the gateway events that keep discord.py's cache true."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import discord
import pytest

from localdiscord.emulator import FakeDiscord
from tests.localdiscord.test_emulator import TinyBot, start

NO_MENTIONS = discord.AllowedMentions.none()


@pytest.fixture
async def bot(fake: FakeDiscord) -> AsyncIterator[TinyBot]:
    client = TinyBot(fake.guild_id)
    task = await start(client, fake.token)
    yield client
    await client.close()
    await asyncio.wait_for(task, 5)


async def forum_of(fake: FakeDiscord, bot: TinyBot, *tags: str) -> discord.ForumChannel:
    created = await fake.add_forum("help", tags=tags)
    await fake.world.wait_for(lambda: bot.get_channel(created.id), "CHANNEL_CREATE")
    forum = bot.get_channel(created.id)
    assert isinstance(forum, discord.ForumChannel)
    return forum


async def test_a_forum_is_announced_with_its_tags(fake: FakeDiscord, bot: TinyBot) -> None:
    forum = await forum_of(fake, bot, "django", "celery")
    assert [t.name for t in forum.available_tags] == ["django", "celery"]
    assert forum.topic == "Ask for help: one post per question."


async def test_a_post_is_a_thread_with_its_first_message(fake: FakeDiscord, bot: TinyBot) -> None:
    forum = await forum_of(fake, bot, "django")
    django = forum.available_tags[0]
    made = await forum.create_thread(
        name="Why is my query slow?",
        embed=discord.Embed(title="Question", description="It is slow."),
        applied_tags=[django],
        allowed_mentions=NO_MENTIONS,
    )
    assert made.message.id == made.thread.id  # a post's first message has its id
    assert made.thread.parent_id == forum.id
    assert [t.name for t in made.thread.applied_tags] == ["django"]
    guild = bot.get_guild(fake.guild_id)
    assert guild is not None
    await fake.world.wait_for(lambda: guild.get_thread(made.thread.id), "THREAD_CREATE")
    [thread] = fake.threads("help")
    assert thread.name == "Why is my query slow?"
    assert fake.channel_messages(thread.id)[0]["embeds"][0]["title"] == "Question"
    reply = await made.thread.send("An answer.", allowed_mentions=NO_MENTIONS)
    assert reply.channel.id == thread.id
    assert thread.message_count == 1  # the first message is not counted


async def test_tags_archive_and_lock(fake: FakeDiscord, bot: TinyBot) -> None:
    forum = await forum_of(fake, bot, "django")
    edited = await forum.edit(
        available_tags=[*forum.available_tags, discord.ForumTag(name="Solved", emoji="✅")]
    )
    assert [t.name for t in edited.available_tags] == ["django", "Solved"]
    assert edited.available_tags[0].id == forum.available_tags[0].id  # kept

    def updated() -> bool:
        return len(forum.available_tags) == 2

    await fake.world.wait_for(updated, "CHANNEL_UPDATE to reach the cache")
    solved = forum.get_tag(edited.available_tags[1].id)
    assert solved is not None
    made = await forum.create_thread(name="Q", content="Body", allowed_mentions=NO_MENTIONS)
    thread = await made.thread.edit(applied_tags=[solved], archived=True, locked=True)
    stored = fake.threads("help")[0]
    assert (stored.archived, stored.locked, stored.applied_tags) == (True, True, [solved.id])
    assert thread.archived
    assert thread.locked
    events = [f["t"] for f in fake.gateway.current.log]  # type: ignore[union-attr]
    assert {"CHANNEL_CREATE", "CHANNEL_UPDATE", "THREAD_CREATE", "THREAD_UPDATE"} <= set(events)

    with pytest.raises(discord.HTTPException) as caught:  # an archived thread takes no edit
        await made.message.edit(content="changed")
    assert caught.value.code == 50083
    with pytest.raises(discord.HTTPException) as caught:
        await thread.edit(applied_tags=[])
    assert caught.value.code == 50083
    reopened = await thread.edit(archived=False, locked=False)  # the bot manages threads
    assert not reopened.archived
    await made.message.edit(content="changed")


async def test_a_message_unarchives_a_thread_unless_locked(fake: FakeDiscord, bot: TinyBot) -> None:
    forum = await forum_of(fake, bot)
    made = await forum.create_thread(name="Q", content="Body", allowed_mentions=NO_MENTIONS)
    await made.thread.edit(archived=True)
    await made.thread.send("Still there?", allowed_mentions=NO_MENTIONS)
    assert not fake.threads("help")[0].archived


async def test_discords_limits_on_forums(fake: FakeDiscord, bot: TinyBot) -> None:
    forum = await forum_of(fake, bot)
    too_many = [discord.ForumTag(name=f"tag{i}") for i in range(21)]
    with pytest.raises(discord.HTTPException) as caught:
        await forum.edit(available_tags=too_many)
    assert caught.value.status == 400
    fake.take_schema_violations()  # 21 tags: the document refuses them too
    with pytest.raises(discord.HTTPException):
        await forum.edit(available_tags=[discord.ForumTag(name="x" * 21)])
    with pytest.raises(discord.HTTPException) as caught:  # a forum takes posts, not messages
        await bot.get_partial_messageable(forum.id).send("hello")
    assert caught.value.code == 50008
    with pytest.raises(discord.HTTPException):
        await forum.create_thread(name="x" * 101, content="Body")
    fake.take_schema_violations()


async def test_without_manage_channels_the_tags_stay(fake: FakeDiscord, bot: TinyBot) -> None:
    created = await fake.add_forum("locked-help", manage_channels=False)
    await fake.world.wait_for(lambda: bot.get_channel(created.id), "CHANNEL_CREATE")
    forum = bot.get_channel(created.id)
    assert isinstance(forum, discord.ForumChannel)
    with pytest.raises(discord.Forbidden):
        await forum.edit(available_tags=[discord.ForumTag(name="Solved")])


async def test_a_post_is_deleted_with_its_messages(fake: FakeDiscord, bot: TinyBot) -> None:
    forum = await forum_of(fake, bot)
    made = await forum.create_thread(name="Q", content="Body", allowed_mentions=NO_MENTIONS)
    guild = bot.get_guild(fake.guild_id)
    assert guild is not None
    await fake.world.wait_for(lambda: guild.get_thread(made.thread.id), "THREAD_CREATE")
    await made.thread.delete()
    assert fake.threads("help") == []
    assert fake.world.find_message(made.message.id) is None
    await fake.world.wait_for(lambda: guild.get_thread(made.thread.id) is None, "THREAD_DELETE")
