"""Several bot processes on one database, each on its shards (SHARD_COUNT, SHARD_IDS): each
receives only its servers, one registers the commands, and a week of daily tips with restarts
posts each server's tip exactly once a day."""

from __future__ import annotations

import asyncio
import contextlib
import random
import re
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.client import Nexus, ShardedNexus, create_bot
from bot.config import Settings
from bot.core.localtime import local_due
from bot.dailytip import TipScheduler
from bot.dailytip.model import POSTED
from bot.dailytip.plan import STAND_IN
from bot.dailytip.postlog import LEASE
from bot.db.engine import Database
from bot.db.models import DailyTipPost
from cogs.dailytip.cog import COG_NAME
from cogs.dailytip.render import MARKER
from localdiscord.emulator import FAST_CLIENT_OPTIONS, FakeDiscord, FakeGuild, patched_discord
from localdiscord.emulator.gateway import shard_of
from tests.figures import report
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
        self._slept = asyncio.Event()  # set whenever a scheduler goes to sleep

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
        self._slept.set()
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

    async def settle(self, schedulers: int, within: float = 60.0) -> None:
        """Wait (bounded, in real seconds) until `schedulers` schedulers did what was due."""
        async with asyncio.timeout(within):
            while not self.settled(schedulers):
                self._slept.clear()
                await self._slept.wait()

    def soonest(self) -> datetime | None:
        """The first instant a sleeping scheduler asked to wake at."""
        return min((w for w in self.asleep.values() if w is not None), default=None)


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
                about = await fake.slash("about", guild=guild.id)
                fields = {f["name"]: f["value"] for f in about.embeds[0]["fields"]}
                shard = shard_of(guild.id, SHARDS)
                assert f"this process: shard {shard} of {SHARDS}" in fields["Gateway"]
        finally:
            for process in processes:
                await stop_process(process)
        assert all(pings_nobody_but_an_asker(m) for m in fake.all_sent_messages())
        assert fake.unknown_requests == []


async def test_one_process_on_every_shard_serves_every_server(
    tmp_path: Path, fake: FakeDiscord
) -> None:
    """SHARD_COUNT without SHARD_IDS: one process connects every shard (discord.py waits 5 s
    between two IDENTIFYs, as Discord asks)."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'nexus.db'}"
    settings = replace(shard_settings(fake, tmp_path, url, 0), shard_ids=None)
    assert settings.shards == (0, 1)
    process = await start_process(settings)
    try:
        assert sorted(process.bot.shards) == [0, 1]
        assert {g.id for g in process.bot.guilds} == {g.id for g in fake.guilds}
        for guild in fake.guilds:
            about = await fake.slash("about", guild=guild.id)
            fields = {f["name"]: f["value"] for f in about.embeds[0]["fields"]}
            assert f"this process: shard 0, 1 of {SHARDS}" in fields["Gateway"]
            cached = process.bot.get_guild(guild.id)
            assert cached is not None
            assert cached.shard_id == shard_of(guild.id, SHARDS)
    finally:
        await stop_process(process)
    shards = [f["d"]["shard"] for f in fake.gateway.received if f["op"] == 2]
    assert sorted(shards) == [[0, 2], [1, 2]]


async def test_only_the_process_holding_shard_0_makes_the_daily_backup(
    tmp_path: Path, fake: FakeDiscord
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'nexus.db'}"
    folder = tmp_path / "backups"
    settings = [
        replace(shard_settings(fake, tmp_path, url, shard), backup_dir=folder)
        for shard in range(SHARDS)
    ]
    processes = []
    try:
        for each in settings:
            processes.append(await start_process(each))
        leader, other = (getattr(p.bot.get_cog("Backups"), "scheduler", 0) for p in processes)
        assert leader is not None
        assert other is None
    finally:
        for process in processes:
            await stop_process(process)


# -- daily tips across processes -------------------------------------------------------------


def record_posts(process: Process, shard: int, posts: list[tuple[int, int]]) -> None:
    """Note (shard, guild id) for each tip the process sends."""
    publisher: Any = process.scheduler.publisher
    publish = publisher.publish

    async def noted(job: Any) -> int:
        posts.append((shard, job.guild_id))
        return int(await publish(job))

    publisher.publish = noted


async def run_until(clock: SharedClock, until: datetime, schedulers: int) -> None:
    """Move the clock to `until` by the instants the schedulers asked for, as time would."""
    await clock.settle(schedulers)
    while clock.now() < until:
        soonest = clock.soonest()
        clock.advance(min(until, soonest or until) - clock.now())
        await clock.settle(schedulers)


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
async def test_each_process_posts_its_servers_tips_and_stands_in_for_a_stopped_one(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path, fake: FakeDiscord
) -> None:
    start = datetime.now(UTC).replace(hour=6, minute=7, second=0, microsecond=0)
    start -= timedelta(days=3)
    nine = start.replace(hour=9, minute=0)
    clock = SharedClock(start)
    posts: list[tuple[int, int]] = []
    async with database(kind, request, tmp_path) as url:
        settings = [shard_settings(fake, tmp_path, url, shard) for shard in range(SHARDS)]
        processes = list(await asyncio.gather(*(start_process(s, clock) for s in settings)))
        for shard, process in enumerate(processes):
            record_posts(process, shard, posts)
        try:
            for guild in fake.guilds:
                await fake.slash(
                    "dailytip schedule",
                    {"channel": "general", "time": "09:00", "timezone": "UTC"},
                    user="admin",
                    guild=guild.id,
                )
            await run_until(clock, nine + timedelta(minutes=5), SHARDS)
            holders = {g.id: shard_of(g.id, SHARDS) for g in fake.guilds}
            assert sorted(posts) == sorted((shard, guild) for guild, shard in holders.items())

            await stop_process(processes.pop())  # shard 1 is down for the next day
            posts.clear()
            await run_until(clock, nine + timedelta(days=1, minutes=5), 1)
            assert sorted(posts) == sorted((0, guild) for guild in holders)
        finally:
            for process in processes:
                await stop_process(process)
        db = Database(url)
        try:
            async with db.read() as session:
                rows = list(await session.scalars(select(DailyTipPost)))
        finally:
            await db.close()
    second_day = nine.date() + timedelta(days=1)
    claimed = {r.guild_id: r.claimed_at for r in rows if r.local_date == second_day}
    for guild, shard in holders.items():
        late = STAND_IN if shard == 1 else timedelta(0)
        assert claimed[guild] == nine + timedelta(days=1) + late
    assert len(rows) == 2 * GUILDS
    assert {r.status for r in rows} == {POSTED}


# -- a week of daily tips, two processes, random restarts -------------------------------------

DAYS = 7
RESTART_CHANCE = 0.06  # per step of the clock (a step: 5 to 45 simulated minutes)
DATE_IN_FOOTER = re.compile(re.escape(MARKER) + r" · (\d{4}-\d{2}-\d{2})$")


def tip_dates(fake: FakeDiscord, guild: FakeGuild) -> list[date]:
    """The local dates of the daily tips in the guild's #general, one per message."""
    bot_id = str(fake.bot_user.id)
    found: list[date] = []
    for message in fake.world.messages.get(guild.channel("general").id, []):
        if message["author"]["id"] != bot_id:
            continue
        for embed in message["embeds"]:
            match = DATE_IN_FOOTER.search((embed.get("footer") or {}).get("text", ""))
            if match:
                found.append(date.fromisoformat(match.group(1)))
    return found


def days_due(zone: str, at: time, since: datetime, until: datetime) -> list[date]:
    """The local dates whose tip falls due after `since` and by `until`."""
    tz = ZoneInfo(zone)
    day, last = since.astimezone(tz).date(), until.astimezone(tz).date()
    due: list[date] = []
    while day <= last:
        instant = local_due(day, at, tz)
        if instant is not None and since <= instant <= until:
            due.append(day)
        day += timedelta(days=1)
    return due


STOPS = ("graceful", "crash", "before sending", "after sending")


class Sabotage:
    """Crashes a process in the middle of posting a tip, when it next posts one: before
    Discord has the message, or after Discord has it and before the post log records it."""

    MOMENTS = ("before sending", "after sending")

    def __init__(self) -> None:
        self.armed: dict[int, str] = {}  # process index -> the moment it dies at
        self.dead: list[tuple[int, str]] = []
        self.died = asyncio.Event()

    def wrap(self, process: Process, index: int) -> None:
        publisher: Any = process.scheduler.publisher
        publish = publisher.publish

        async def sabotaged(job: Any) -> int:
            moment = self.armed.pop(index, None)
            if moment == "before sending":
                await self._die(index, moment)
            message_id = int(await publish(job))
            if moment == "after sending":
                await self._die(index, moment)
            return message_id

        publisher.publish = sabotaged

    async def _die(self, index: int, moment: str) -> None:
        self.dead.append((index, moment))
        self.died.set()
        await asyncio.Event().wait()  # the process is gone: its scheduler is cancelled here


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
async def test_two_processes_post_each_servers_tip_once_a_day_through_a_week_of_restarts(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path, fake: FakeDiscord
) -> None:
    """Two processes (shards 0 and 1 of 2) on one fresh database, six servers in six time
    zones. The clock moves by random steps (and to every instant a scheduler asked for, as
    real time would). At random moments one process stops: gracefully, as a crash that
    abandons its scheduler where it stands, or as a crash in the middle of posting a tip,
    before Discord has the message or after; it comes back at once or some steps later.
    Whoever is up posts: each server gets exactly one tip each local day, none missed, none
    repeated.
    """
    rng = random.Random(f"week-{kind}")
    # A week that ended two days ago: the local Discord dates messages by the real clock, and
    # a retry looks for the message of an interrupted attempt after its claim's time.
    start = datetime.now(UTC).replace(minute=7, second=0, microsecond=0) - timedelta(days=DAYS + 2)
    clock = SharedClock(start)
    sabotage = Sabotage()
    async with database(kind, request, tmp_path) as url:
        settings = [shard_settings(fake, tmp_path, url, shard) for shard in range(SHARDS)]
        processes: list[Process | None] = [None] * SHARDS
        posted = [0] * SHARDS
        stops: Counter[str] = Counter()

        def live() -> list[Process]:
            return [p for p in processes if p is not None]

        async def begin(index: int) -> None:
            process = await start_process(settings[index], clock)
            sabotage.wrap(process, index)
            processes[index] = process

        async def stop(index: int, how: str) -> None:
            process = processes[index]
            assert process is not None
            processes[index] = None
            sabotage.armed.pop(index, None)
            posted[index] += process.scheduler.status().posted
            await stop_process(process, crash=how != "graceful")
            stops[how] += 1

        async def settle() -> None:
            """Until every scheduler did what was due; a process that died meanwhile is
            stopped, and comes back at once or later (never both down at once)."""
            while True:
                if sabotage.dead:
                    index, how = sabotage.dead.pop()
                    await stop(index, how)
                    if len(live()) == 0 or rng.random() < 0.5:
                        await begin(index)
                    continue
                settled = asyncio.ensure_future(clock.settle(len(live())))
                died = asyncio.ensure_future(sabotage.died.wait())
                await asyncio.wait({settled, died}, return_when=asyncio.FIRST_COMPLETED)
                died.cancel()
                if sabotage.dead:
                    settled.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await settled
                    sabotage.died.clear()
                    continue
                await settled
                return

        try:
            await asyncio.gather(*(begin(index) for index in range(SHARDS)))
            for guild, (zone, at) in zip(fake.guilds, ZONES, strict=True):
                answer = await fake.slash(
                    "dailytip schedule",
                    {"channel": "general", "time": f"{at:%H:%M}", "timezone": zone},
                    user="admin",
                    guild=guild.id,
                )
                assert "Daily tip scheduled" in (answer.content or ""), guild.name
            await settle()
            end = start + timedelta(days=DAYS)
            while clock.now() < end:
                step = clock.now() + timedelta(minutes=rng.uniform(5, 45))
                soonest = clock.soonest()
                clock.advance(min(step, soonest or step) - clock.now())
                if rng.random() < RESTART_CHANCE:
                    down = [i for i, p in enumerate(processes) if p is None]
                    if down:
                        await begin(down[0])
                    elif not sabotage.armed:
                        index = rng.randrange(SHARDS)
                        how = rng.choice(STOPS)
                        if how in Sabotage.MOMENTS:
                            sabotage.armed[index] = how  # when it next posts
                        else:
                            await asyncio.sleep(rng.choice((0, 0.001, 0.01)))
                            await stop(index, how)
                            if rng.random() < 0.5:
                                await begin(index)
                await settle()
            sabotage.armed.clear()
            for index, process in enumerate(processes):  # everyone back for the last claims
                if process is None:
                    await begin(index)
            await settle()
            clock.advance(LEASE + timedelta(seconds=1))  # a claim a crash left is retried
            await settle()
        finally:
            for index, process in enumerate(processes):
                if process is not None:
                    await stop(index, "graceful")

        finished = clock.now()
        db = Database(url)
        try:
            async with db.read() as session:
                rows = list(await session.scalars(select(DailyTipPost)))
        finally:
            await db.close()

    expected_total = 0
    for guild, (zone, at) in zip(fake.guilds, ZONES, strict=True):
        expected = days_due(zone, at, start, finished)
        expected_total += len(expected)
        assert len(expected) >= DAYS - 1, guild.name
        dates = tip_dates(fake, guild)
        repeated = {day: n for day, n in Counter(dates).items() if n > 1}
        assert repeated == {}, f"{guild.name} ({zone}) got a day's tip more than once"
        assert sorted(dates) == expected, f"{guild.name} ({zone}) missed a day"
        logged = [r for r in rows if r.guild_id == guild.id]
        assert sorted(r.local_date for r in logged) == expected
        assert {r.status for r in logged} == {POSTED}
        assert len({r.tip_slug for r in logged}) == len(logged), "a tip repeated within a week"
    assert stops["before sending"] + stops["after sending"] > 0  # the hard case was met
    assert fake.unknown_requests == []
    assert all(pings_nobody_but_an_asker(m) for m in fake.all_sent_messages())
    report(
        f"a week of daily tips, two processes ({kind})",
        servers=GUILDS,
        tips_posted=expected_total,
        stops_graceful=stops["graceful"],
        crashes=stops["crash"],
        crashes_before_sending=stops["before sending"],
        crashes_after_sending=stops["after sending"],
        posted_by_shard_0=posted[0],
        posted_by_shard_1=posted[1],
        claims_retried_after_a_crash=sum(r.attempts > 1 for r in rows),
    )
