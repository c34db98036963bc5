"""Sharding in the local Discord, as Discord does it: IDENTIFY with `shard: [id, count]`, each
shard receiving only its guilds (`(guild_id >> 22) % count`), GET /gateway/bot advising a count."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import discord
import pytest

from localdiscord.emulator import FAST_CLIENT_OPTIONS, FakeDiscord, patched_discord
from localdiscord.emulator.gateway import shard_of

GUILDS = 5


class ShardedClient(discord.AutoShardedClient):
    """A client that remembers the messages it was sent, with the shard that delivered them."""

    def __init__(self, **options: Any) -> None:
        super().__init__(intents=discord.Intents.default(), **FAST_CLIENT_OPTIONS, **options)
        self.seen: list[tuple[int | None, int | None]] = []  # (guild id, shard id)

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """No 5 s between a process's shards: the local Discord has no identify limit."""

    async def on_message(self, message: discord.Message) -> None:
        guild = message.guild
        self.seen.append((guild.id if guild else None, guild.shard_id if guild else None))


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord(guilds=GUILDS) as emulator, patched_discord(emulator):
        yield emulator


@asynccontextmanager
async def connected(fake: FakeDiscord, **options: Any) -> AsyncIterator[ShardedClient]:
    client = ShardedClient(**options)
    task = asyncio.create_task(client.start(fake.token))
    try:
        ready = asyncio.create_task(client.wait_until_ready())  # after start() set it up
        done, _ = await asyncio.wait({task, ready}, timeout=15, return_when="FIRST_COMPLETED")
        if ready not in done:
            ready.cancel()
            if task.done():
                task.result()  # raises what stopped the client
            raise TimeoutError("the client did not become ready")
        yield client
    finally:
        await client.close()
        await asyncio.wait_for(task, 15)


def guilds_of(fake: FakeDiscord, shard_id: int, count: int) -> set[int]:
    return {g.id for g in fake.guilds if shard_of(g.id, count) == shard_id}


def test_the_seeded_guilds_spread_over_two_shards() -> None:
    emulator = FakeDiscord(guilds=GUILDS)
    shards = [shard_of(g.id, 2) for g in emulator.guilds]
    assert set(shards) == {0, 1}


async def test_two_processes_each_receive_only_their_shards_guilds(fake: FakeDiscord) -> None:
    async with (
        connected(fake, shard_count=2, shard_ids=[0]) as first,
        connected(fake, shard_count=2, shard_ids=[1]) as second,
    ):
        assert {g.id for g in first.guilds} == guilds_of(fake, 0, 2)
        assert {g.id for g in second.guilds} == guilds_of(fake, 1, 2)
        shards = [f["d"]["shard"] for f in fake.gateway.received if f["op"] == 2]
        assert sorted(shards) == [[0, 2], [1, 2]]
        for guild in fake.guilds:
            await fake.send_message("hello", guild=guild.id)
        await fake.world.wait_for(
            lambda: len(first.seen) + len(second.seen) == GUILDS or None, "the messages", 10
        )
        assert {g for g, _ in first.seen} == guilds_of(fake, 0, 2)
        assert {s for _, s in first.seen} == {0}
        assert {g for g, _ in second.seen} == guilds_of(fake, 1, 2)
        assert {s for _, s in second.seen} == {1}


async def test_one_process_asks_the_gateway_how_many_shards(fake: FakeDiscord) -> None:
    fake.gateway.recommended_shards = 3
    async with connected(fake) as client:
        assert client.shard_count == 3
        assert sorted(client.shards) == [0, 1, 2]
        assert {g.id for g in client.guilds} == {g.id for g in fake.guilds}
        for shard_id in range(3):
            shard_guilds = {g.id for g in client.guilds if g.shard_id == shard_id}
            assert shard_guilds == guilds_of(fake, shard_id, 3)
    assert fake.requests_to("GET", r"/gateway/bot$")


async def test_a_shard_outside_the_count_is_refused(fake: FakeDiscord) -> None:
    client = ShardedClient(shard_count=2, shard_ids=[2])
    with pytest.raises(discord.ConnectionClosed) as closed:
        async with asyncio.timeout(15):
            await client.start(fake.token)
    await client.close()
    assert closed.value.code == 4010


async def test_a_stopped_shards_guilds_wait_for_its_return(fake: FakeDiscord) -> None:
    """An event for a guild whose shard is down is held (bounded) until a process holds it."""
    away = next(g for g in fake.guilds if shard_of(g.id, 2) == 1)
    async with connected(fake, shard_count=2, shard_ids=[0]) as first:
        sending = asyncio.create_task(fake.send_message("hello", guild=away.id))
        await asyncio.sleep(0.1)
        assert not sending.done()
        async with connected(fake, shard_count=2, shard_ids=[1]) as second:
            await asyncio.wait_for(sending, 10)
            await fake.world.wait_for(lambda: second.seen or None, "the message", 10)
        assert first.seen == []
