"""Several bot processes on one database, each on its shards (SHARD_COUNT, SHARD_IDS): each
receives only its servers, one registers the commands, and a week of daily tips with restarts
posts each server's tip exactly once a day."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest

from bot.client import Nexus, ShardedNexus, create_bot
from bot.config import Settings
from bot.dailytip import TipScheduler
from cogs.dailytip.cog import COG_NAME
from localdiscord.emulator import FAST_CLIENT_OPTIONS, FakeDiscord, patched_discord
from localdiscord.emulator.gateway import shard_of
from tests.harness import READY_TIMEOUT, bot_settings, lift_limits, pings_nobody_but_an_asker
from tests.postgres import PostgresDatabases

SHARDS = 2
GUILDS = 6
ZONES = (
    ("UTC", time(9, 0)),
    ("Africa/Nairobi", time(8, 30)),
    ("America/New_York", time(7, 15)),
    ("Asia/Tokyo", time(21, 45)),
    ("Europe/Berlin", time(0, 5)),
    ("Pacific/Auckland", time(23, 50)),
)


class SharedClock:
    """One simulated time for every process of the test: it moves only when the test says,
    and knows which schedulers sleep and until when (so the test waits for them, not for a
    real duration).
    """

    def __init__(self, start: datetime) -> None:
        self._now = start
        self.asleep: dict[asyncio.Event, datetime | None] = {}

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> None:
        self._now += delta
        woken, self.asleep = self.asleep, {}
        for wake in woken:
            wake.set()

    async def sleep_until(self, when: datetime | None, wake: asyncio.Event) -> None:
        if when is not None and when <= self._now:
            await asyncio.sleep(0)
            return
        self.asleep[wake] = when
        try:
            await wake.wait()
        finally:
            if self.asleep.get(wake, 0) == when:
                del self.asleep[wake]

    def settled(self, schedulers: int) -> bool:
        """Every one of `schedulers` running schedulers sleeps until after now."""
        return len(self.asleep) == schedulers and all(
            when is None or when > self._now for when in self.asleep.values()
        )


@dataclass
class Process:
    """One bot process: the bot on its shards, and the task running it."""

    bot: Nexus
    task: asyncio.Task[None]

    @property
    def scheduler(self) -> TipScheduler:
        scheduler = getattr(self.bot.get_cog(COG_NAME), "scheduler", None)
        assert isinstance(scheduler, TipScheduler)
        return scheduler


async def start_process(settings: Settings, clock: SharedClock | None = None) -> Process:
    bot = create_bot(settings, **FAST_CLIENT_OPTIONS)
    lift_limits(bot)
    if clock is not None:
        bot.services.dailytip.clock = clock  # the scheduler the cog builds takes it too
    task = asyncio.create_task(bot.start(settings.discord_token), name="nexus-process")
    ready = asyncio.create_task(bot.wait_until_ready())
    done, _ = await asyncio.wait(
        {task, ready}, timeout=READY_TIMEOUT * 2, return_when=asyncio.FIRST_COMPLETED
    )
    if ready not in done:
        ready.cancel()
        if task.done():
            task.result()
        raise TimeoutError("the bot process did not become ready")
    return Process(bot, task)


async def stop_process(process: Process, *, crash: bool = False) -> None:
    """Stop the process: as on SIGTERM (a post in flight is finished), or as a crash (its
    scheduler dies where it stands, a claim it held is left to its lease)."""
    if crash:
        runner = getattr(process.bot.get_cog(COG_NAME), "_runner", None)
        if runner is not None:
            runner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await runner
    await process.bot.close()
    await asyncio.wait_for(process.task, READY_TIMEOUT)


def shard_settings(fake: FakeDiscord, folder: Path, database_url: str, shard: int) -> Settings:
    return replace(
        bot_settings(fake, folder, database_url=database_url, dev_guild_id=None),
        shard_count=SHARDS,
        shard_ids=(shard,),
        health_file=folder / f"heartbeat-{shard}",
    )


@contextlib.asynccontextmanager
async def database(kind: str, request: pytest.FixtureRequest, folder: Path) -> AsyncIterator[str]:
    """A fresh, empty database: a new SQLite file, or a new PostgreSQL database."""
    if kind == "sqlite":
        yield f"sqlite+aiosqlite:///{folder / 'nexus.db'}"
        return
    databases: PostgresDatabases = request.getfixturevalue("postgres")
    async with databases.empty() as url:
        yield url


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord(guilds=GUILDS) as emulator, patched_discord(emulator):
        yield emulator


def shard_guilds(fake: FakeDiscord, shard: int) -> set[int]:
    return {g.id for g in fake.guilds if shard_of(g.id, SHARDS) == shard}


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
async def test_two_sharded_processes_split_the_servers_and_one_registers_commands(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path, fake: FakeDiscord
) -> None:
    async with database(kind, request, tmp_path) as url:
        started = await asyncio.gather(
            *(start_process(shard_settings(fake, tmp_path, url, s)) for s in range(SHARDS)),
            return_exceptions=True,
        )
        processes = [p for p in started if isinstance(p, Process)]
        try:
            assert [s for s in started if isinstance(s, BaseException)] == []
            first, second = processes
            assert isinstance(first.bot, ShardedNexus)
            assert {g.id for g in first.bot.guilds} == shard_guilds(fake, 0)
            assert {g.id for g in second.bot.guilds} == shard_guilds(fake, 1)
            assert first.bot.commands_synced is True
            assert second.bot.commands_synced is None  # never asked: not its work
            assert len(fake.requests_to("PUT", r"/applications/\d+/commands$")) == 1
            for guild in fake.guilds:
                answer = await fake.slash("concept", {"name": "jwt"}, guild=guild.id)
                assert answer.embeds, guild.name
        finally:
            for process in processes:
                await stop_process(process)
        assert all(pings_nobody_but_an_asker(m) for m in fake.all_sent_messages())
        assert fake.unknown_requests == []
