"""The scheduler on a controlled clock and a real SQLite file: no real waiting anywhere."""

from __future__ import annotations

import asyncio
import itertools
import logging
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from bot.core.clock import ClockStopped, ManualClock
from bot.core.localtime import local_due
from bot.dailytip import (
    DailyTipService,
    DestinationGone,
    DisabledNotice,
    TemporaryFailure,
    TipJob,
    TipScheduler,
)
from bot.dailytip.model import MISSED, POSTED
from bot.dailytip.postlog import LEASE
from bot.db.engine import Database
from bot.db.models import DailyTipPost, DailyTipSchedule
from bot.learnings.model import Learning
from bot.learnings.service import LearningsService

START = datetime(2026, 1, 1, tzinfo=UTC)


def tips(count: int) -> list[Learning]:
    return [
        Learning(f"tip-{i:03d}", "tip", f"Tip number {i}", "python", f"Tip {i}.", f"Do {i}.")
        for i in range(count)
    ]


@dataclass
class Sent:
    id: int
    guild_id: int
    channel_id: int
    local_date: date
    slug: str
    at: datetime
    nonce: int


@dataclass
class FakeDiscord:
    """Channels that record posts; failures on demand; a crash mid-post on demand."""

    clock: ManualClock
    sent: list[Sent] = field(default_factory=list)
    gone: dict[int, str] = field(default_factory=dict)  # channel id -> why it is unusable
    failures: dict[int, list[BaseException]] = field(default_factory=dict)  # per server
    notices: list[tuple[int, DisabledNotice]] = field(default_factory=list)
    attempts: list[tuple[int, datetime]] = field(default_factory=list)
    crash: str | None = None  # "before" or "after" Discord accepts the next message
    crashed: asyncio.Event = field(default_factory=asyncio.Event)

    async def publish(self, job: TipJob) -> int:
        self.attempts.append((job.guild_id, self.clock.now()))
        if job.channel_id in self.gone:
            raise DestinationGone(self.gone[job.channel_id])
        queue = self.failures.get(job.guild_id)
        if queue:
            raise queue.pop(0)
        if self.crash == "before":
            await self._die()
        message = Sent(
            len(self.sent) + 1,
            job.guild_id,
            job.channel_id,
            job.local_date,
            job.tip.slug,
            self.clock.now(),
            job.nonce,
        )
        self.sent.append(message)
        if self.crash == "after":
            await self._die()
        return message.id

    async def _die(self) -> None:
        self.crash = None
        self.crashed.set()
        await asyncio.Event().wait()  # the process is gone; its task is cancelled

    async def find_existing(self, job: TipJob) -> int | None:
        for message in self.sent:
            if (message.channel_id, message.local_date) == (job.channel_id, job.local_date):
                return message.id
        return None

    async def notify(self, channel_id: int, notice: DisabledNotice) -> bool:
        if channel_id in self.gone:
            return False
        self.notices.append((channel_id, notice))
        return True

    def days(self, guild_id: int) -> list[date]:
        return [m.local_date for m in self.sent if m.guild_id == guild_id]


def make_service(db: Database, clock: ManualClock, count: int = 12) -> DailyTipService:
    learnings = LearningsService(db)
    learnings.load(tips(count))
    return DailyTipService(db, learnings, clock)


async def run_until_stopped(scheduler: TipScheduler) -> None:
    with pytest.raises(ClockStopped):
        await scheduler.run()


async def post_rows(db: Database) -> list[DailyTipPost]:
    async with db.read() as session:
        return list(await session.scalars(select(DailyTipPost).order_by(DailyTipPost.id)))


ZONES = {
    1: "Europe/Berlin",
    2: "America/New_York",
    3: "Asia/Kolkata",
    4: "Africa/Lagos",
}


async def test_a_simulated_year_posts_once_per_local_day_at_the_right_instant(
    db: Database,
) -> None:
    end = datetime(2027, 1, 1, tzinfo=UTC)
    clock = ManualClock(START, stop_at=end)
    service = make_service(db, clock, count=40)
    for guild, zone in ZONES.items():
        await service.schedule(guild, 1000 + guild, time(9), zone)
    discord = FakeDiscord(clock)
    scheduler = TipScheduler(service, discord, clock)
    await run_until_stopped(scheduler)

    year = [date(2026, 1, 1) + timedelta(days=n) for n in range(365)]
    for guild, zone in ZONES.items():
        tz = ZoneInfo(zone)
        messages = [m for m in discord.sent if m.guild_id == guild]
        assert [m.local_date for m in messages] == year, zone
        for message in messages:
            assert message.at == local_due(message.local_date, time(9), tz)
            local = message.at.astimezone(tz)
            assert (local.date(), local.hour, local.minute) == (message.local_date, 9, 0)
        # Every tip once before any repeats: 40 tips, so each 40-day block has 40 distinct.
        slugs = [m.slug for m in messages]
        for start in range(0, 360, 40):
            assert len(set(slugs[start : start + 40])) == 40
    berlin = {m.local_date: m.at for m in discord.sent if m.guild_id == 1}
    assert berlin[date(2026, 3, 28)].hour == 8  # CET
    assert berlin[date(2026, 3, 29)].hour == 7  # CEST from the morning of the change
    assert berlin[date(2026, 10, 25)].hour == 8  # CET again
    # It slept until each post, it did not poll: one sleep per post, plus the last one.
    assert len(clock.sleeps) <= len(discord.sent) + 2
    rows = await post_rows(db)
    assert len(rows) == 4 * 365
    assert {r.status for r in rows} == {POSTED}
    status = scheduler.status()
    assert status.posted == 4 * 365
    assert status.last_error is None
    assert not status.running


async def test_a_time_in_the_dst_gap_and_fold_posts_once_at_the_documented_instant(
    db: Database,
) -> None:
    clock = ManualClock(datetime(2026, 3, 27, tzinfo=UTC), stop_at=datetime(2026, 4, 1, tzinfo=UTC))
    service = make_service(db, clock)
    await service.schedule(1, 1001, time(2, 30), "Europe/Berlin")
    discord = FakeDiscord(clock)
    scheduler = TipScheduler(service, discord, clock)
    await run_until_stopped(scheduler)  # around the spring change...
    clock.set(datetime(2026, 10, 22, tzinfo=UTC))
    clock.stop_at = datetime(2026, 10, 28, tzinfo=UTC)
    await run_until_stopped(scheduler)  # ...and around the autumn one
    at = {m.local_date: m.at for m in discord.sent}
    assert len(at) == len(discord.sent)  # never twice on a day, the fold included
    assert at[date(2026, 3, 28)] == datetime(2026, 3, 28, 1, 30, tzinfo=UTC)  # 02:30 CET
    assert at[date(2026, 3, 29)] == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)  # the jump, 03:00
    assert at[date(2026, 3, 30)] == datetime(2026, 3, 30, 0, 30, tzinfo=UTC)  # 02:30 CEST
    assert at[date(2026, 10, 25)] == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # first 02:30
    assert at[date(2026, 10, 26)] == datetime(2026, 10, 26, 1, 30, tzinfo=UTC)  # 02:30 CET
    spring = [date(2026, 3, 27) + timedelta(days=n) for n in range(5)]
    autumn = [date(2026, 10, 22) + timedelta(days=n) for n in range(6)]
    assert sorted(at) == spring + autumn


async def test_fifty_restarts_at_random_moments_lose_no_day_and_double_none(
    db: Database,
) -> None:
    rng = random.Random(20260101)
    clock = ManualClock(START)
    service = make_service(db, clock)
    for guild, zone in ZONES.items():
        await service.schedule(guild, 1000 + guild, time(9), zone)
    discord = FakeDiscord(clock)
    crashes = Counter[str]()
    for restart in range(51):
        scheduler = TipScheduler(service, discord, clock, owner=f"process-{restart}")
        last = restart == 50
        clock.stop_at = clock.now() + timedelta(hours=48 if last else rng.uniform(1, 36))
        if not last and rng.random() < 0.5:
            discord.crash = rng.choice(["before", "after"])  # die in the middle of a post
        mode = discord.crash
        discord.crashed.clear()
        task = asyncio.create_task(scheduler.run())
        crashed = asyncio.create_task(discord.crashed.wait())
        await asyncio.wait({task, crashed}, return_when=asyncio.FIRST_COMPLETED)
        if crashed.done():
            crashes[f"mid-post:{mode}"] += 1
        else:
            crashes["asleep"] += 1
        task.cancel()
        crashed.cancel()
        await asyncio.gather(task, crashed, return_exceptions=True)
        discord.crash = None
        if not last:  # down for up to two hours: back the same local day as a missed 09:00
            clock.advance(timedelta(minutes=rng.uniform(0, 120)))
    assert sum(crashes.values()) == 51
    assert crashes["asleep"] > 0
    assert crashes["mid-post:before"] > 0  # died before Discord got the message
    assert crashes["mid-post:after"] > 0  # died after Discord accepted it, before the record

    end = clock.now()
    assert end - START > timedelta(days=20)  # weeks of simulated time
    for guild, zone in ZONES.items():
        tz = ZoneInfo(zone)
        days = discord.days(guild)
        assert len(days) == len(set(days)), f"{zone}: a day was posted twice"
        day = START.astimezone(tz).date()
        expected = []
        while (due := local_due(day, time(9), tz)) is not None and due <= end:
            if due >= START:  # scheduled at START: earlier times of that day were not owed
                expected.append(day)
            day += timedelta(days=1)
        assert days == expected, f"{zone}: a day was lost"
    rows = await post_rows(db)
    assert {r.status for r in rows} == {POSTED}
    assert len(rows) == len(discord.sent)


async def test_catch_up_after_downtime_is_the_same_day_never_yesterdays_tip(db: Database) -> None:
    clock = ManualClock(datetime(2026, 6, 1, 5, tzinfo=UTC))
    service = make_service(db, clock)
    await service.schedule(1, 1001, time(9), "Europe/Berlin")  # 07:00 UTC
    discord = FakeDiscord(clock)
    # Down from before 09:00 until 23:30 Berlin: posts once, late, the same local day.
    clock.set(datetime(2026, 6, 1, 21, 30, tzinfo=UTC))
    clock.stop_at = datetime(2026, 6, 1, 22, 30, tzinfo=UTC)
    await run_until_stopped(TipScheduler(service, discord, clock))
    assert [(m.local_date, m.at) for m in discord.sent] == [
        (date(2026, 6, 1), datetime(2026, 6, 1, 21, 30, tzinfo=UTC))
    ]
    # Down all of 2 June: nothing is posted for it on 3 June; 3 June gets its own tip at 09:00.
    clock.set(datetime(2026, 6, 3, 6, 0, tzinfo=UTC))
    clock.stop_at = datetime(2026, 6, 3, 12, 0, tzinfo=UTC)
    await run_until_stopped(TipScheduler(service, discord, clock))
    assert [m.local_date for m in discord.sent] == [date(2026, 6, 1), date(2026, 6, 3)]
    assert discord.sent[-1].at == datetime(2026, 6, 3, 7, 0, tzinfo=UTC)


async def test_a_retry_still_failing_at_midnight_is_missed_not_posted_the_next_day(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    clock = ManualClock(
        datetime(2026, 6, 1, 5, tzinfo=UTC), stop_at=datetime(2026, 6, 2, 12, tzinfo=UTC)
    )
    service = make_service(db, clock)
    await service.schedule(1, 1001, time(23, 0), "Europe/Berlin")  # 21:00 UTC
    discord = FakeDiscord(clock)
    discord.failures[1] = [TemporaryFailure("503 Service Unavailable") for _ in range(12)]
    scheduler = TipScheduler(service, discord, clock, rng=random.Random(1))
    await run_until_stopped(scheduler)
    assert discord.sent == []
    attempts = [at for _, at in discord.attempts]
    assert scheduler.status().failures == {"retry": len(attempts), "missed": 1}
    assert attempts[0] == datetime(2026, 6, 1, 21, 0, tzinfo=UTC)
    assert all(at < datetime(2026, 6, 1, 22, 0, tzinfo=UTC) for at in attempts)  # Berlin midnight
    gaps = [b - a for a, b in itertools.pairwise(attempts)]
    assert gaps == sorted(gaps)  # backing off
    rows = await post_rows(db)
    assert [(r.local_date, r.status) for r in rows] == [(date(2026, 6, 1), MISSED)]
    assert "missed its tip of 2026-06-01" in caplog.text


async def test_5xx_and_429_are_retried_with_backoff_and_the_day_still_posts(
    db: Database,
) -> None:
    clock = ManualClock(
        datetime(2026, 6, 1, 5, tzinfo=UTC), stop_at=datetime(2026, 6, 1, 12, tzinfo=UTC)
    )
    service = make_service(db, clock)
    await service.schedule(1, 1001, time(9), "Europe/Berlin")
    discord = FakeDiscord(clock)
    discord.failures[1] = [
        TemporaryFailure("502 Bad Gateway"),
        TemporaryFailure("429 Too Many Requests", retry_after=300),
        TimeoutError("the connection timed out"),
        RuntimeError("a bug in rendering"),
    ]
    scheduler = TipScheduler(service, discord, clock, rng=random.Random(1))
    await run_until_stopped(scheduler)
    attempts = [at for _, at in discord.attempts]
    assert len(attempts) == 5
    assert attempts[0] == datetime(2026, 6, 1, 7, 0, tzinfo=UTC)
    assert timedelta(seconds=30) <= attempts[1] - attempts[0] <= timedelta(seconds=33)
    assert attempts[2] - attempts[1] >= timedelta(seconds=300)  # Discord's retry_after
    assert [m.local_date for m in discord.sent] == [date(2026, 6, 1)]
    rows = await post_rows(db)
    assert [(r.status, r.attempts, r.last_error) for r in rows] == [(POSTED, 5, None)]
    assert scheduler.status().last_error is not None  # what went wrong stays visible
    assert scheduler.status().failures == {"retry": 4}  # what the metrics count
    assert scheduler.status().posted == 1


async def test_403_disables_that_server_only_logs_once_and_tells_its_admins(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.dailytip")
    clock = ManualClock(
        datetime(2026, 6, 1, 5, tzinfo=UTC), stop_at=datetime(2026, 6, 5, 12, tzinfo=UTC)
    )
    service = make_service(db, clock)
    await service.schedule(1, 1001, time(9), "Europe/Berlin", log_channel_id=5001)
    await service.schedule(2, 1002, time(9), "Europe/Berlin")
    await service.schedule(3, 1003, time(9), "Europe/Berlin")
    discord = FakeDiscord(clock)
    discord.gone[1001] = "I lost the Send Messages permission in #tips"
    discord.gone[1003] = "the channel was deleted"
    scheduler = TipScheduler(service, discord, clock)
    await run_until_stopped(scheduler)

    assert discord.days(2) == [date(2026, 6, n) for n in range(1, 6)]  # unaffected
    assert discord.days(1) == []
    assert [g for g, _ in discord.attempts].count(1) == 1  # no hammering a dead channel
    disabled = [r for r in caplog.records if "disabled in server" in r.getMessage()]
    assert len(disabled) == 2
    # With a log channel the admins hear at once; without, on their next command.
    assert [(c, n.guild_id, n.reason) for c, n in discord.notices] == [
        (5001, 1, "I lost the Send Messages permission in #tips")
    ]
    assert await service.take_notice(1) is None
    notice = await service.take_notice(3)
    assert notice is not None
    assert notice.reason == "the channel was deleted"
    status = await service.status(1)
    assert status is not None
    assert not status.schedule.enabled
    assert "(schedule disabled)" in (scheduler.status().last_error or "")
    assert scheduler.status().failures == {"disabled": 2}


async def test_the_scheduler_survives_any_exception_and_one_server_never_stops_others(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    clock = ManualClock(
        datetime(2026, 6, 1, 5, tzinfo=UTC), stop_at=datetime(2026, 6, 3, 12, tzinfo=UTC)
    )
    service = make_service(db, clock)
    await service.schedule(1, 1001, time(9), "Europe/Berlin")
    await service.schedule(2, 1002, time(9), "Europe/Berlin")
    discord = FakeDiscord(clock)

    real_load, real_claim = service.load, service.claim
    failures = {"load": 2, "claim": 3}

    async def flaky_load(now: datetime):  # type: ignore[no-untyped-def]
        if failures["load"] and now >= datetime(2026, 6, 1, 7, tzinfo=UTC):
            failures["load"] -= 1
            raise OSError("disk I/O error")
        return await real_load(now)

    async def flaky_claim(schedule, owner, now):  # type: ignore[no-untyped-def]
        if schedule.guild_id == 1 and failures["claim"]:
            failures["claim"] -= 1
            raise RuntimeError("database is locked")
        return await real_claim(schedule, owner, now)

    service.load = flaky_load  # type: ignore[method-assign]
    service.claim = flaky_claim  # type: ignore[method-assign]
    scheduler = TipScheduler(service, discord, clock)
    await run_until_stopped(scheduler)

    assert discord.days(1) == [date(2026, 6, 1), date(2026, 6, 2), date(2026, 6, 3)]
    assert discord.days(2) == [date(2026, 6, 1), date(2026, 6, 2), date(2026, 6, 3)]
    first_one = next(m.at for m in discord.sent if m.guild_id == 1)
    first_two = next(m.at for m in discord.sent if m.guild_id == 2)
    assert first_two < first_one  # server 2 did not wait for server 1's trouble
    assert first_one - datetime(2026, 6, 1, 7, tzinfo=UTC) < timedelta(minutes=10)
    assert "scheduler pass failed" in caplog.text
    assert "server 1 failed" in caplog.text


async def test_two_schedulers_on_one_database_post_once_per_day(db: Database) -> None:
    other = Database(db.url)
    try:
        clock = ManualClock(START, stop_at=datetime(2026, 2, 1, tzinfo=UTC))
        here, there = make_service(db, clock), make_service(other, clock)
        for guild, zone in ZONES.items():
            await here.schedule(guild, 1000 + guild, time(9), zone)
        discord = FakeDiscord(clock)
        a = TipScheduler(here, discord, clock, owner="a")
        b = TipScheduler(there, discord, clock, owner="b")
        results = await asyncio.gather(a.run(), b.run(), return_exceptions=True)
        assert all(isinstance(r, ClockStopped) for r in results)
    finally:
        await other.close()
    for guild in ZONES:
        days = discord.days(guild)
        assert len(days) == len(set(days)) == 31
    # Both ran through the whole month; which one won each day's claim is up to the database
    # (on PostgreSQL one often wins them all): the rows below show each day posted once.
    assert a.status().next_run is not None
    assert b.status().next_run is not None
    rows = await post_rows(db)
    assert len(rows) == 4 * 31
    assert {r.status for r in rows} == {POSTED}
    assert sorted(r.message_id or 0 for r in rows) == [m.id for m in discord.sent]


async def test_a_schedule_change_wakes_the_sleeping_scheduler(db: Database) -> None:
    clock = ManualClock(datetime(2026, 6, 1, 5, tzinfo=UTC))
    service = make_service(db, clock)
    discord = FakeDiscord(clock)
    scheduler = TipScheduler(service, discord, clock)
    assert await scheduler.run_due() is None  # nothing scheduled: sleep until woken

    asleep = asyncio.Event()

    async def sleep_until(when: datetime | None, wake: asyncio.Event) -> None:
        clock.sleeps.append(when)
        if when is None:
            asleep.set()
            await wake.wait()
            return
        raise ClockStopped("done")

    clock.sleep_until = sleep_until  # type: ignore[method-assign]
    task = asyncio.create_task(scheduler.run())
    await asyncio.wait_for(asleep.wait(), timeout=5)
    await service.schedule(1, 1001, time(9), "Europe/Berlin")
    scheduler.wake()
    with pytest.raises(ClockStopped):
        await asyncio.wait_for(task, timeout=5)
    assert clock.sleeps == [None, datetime(2026, 6, 1, 7, tzinfo=UTC)]
    assert scheduler.status().next_run == datetime(2026, 6, 1, 7, tzinfo=UTC)


async def test_status_remembers_the_last_post_across_a_restart(db: Database) -> None:
    clock = ManualClock(
        datetime(2026, 6, 1, 5, tzinfo=UTC), stop_at=datetime(2026, 6, 1, 12, tzinfo=UTC)
    )
    service = make_service(db, clock)
    await service.schedule(1, 1001, time(9), "Europe/Berlin")
    await run_until_stopped(TipScheduler(service, FakeDiscord(clock), clock))
    fresh = TipScheduler(service, FakeDiscord(clock), clock)
    assert fresh.status().last_post is None
    next_at = await fresh.run_due()
    assert next_at == datetime(2026, 6, 2, 7, tzinfo=UTC)
    status = fresh.status()
    assert status.last_post == datetime(2026, 6, 1, 7, tzinfo=UTC)
    assert status.last_post_guild == 1


async def test_no_tips_is_reported_and_does_not_spin(db: Database) -> None:
    clock = ManualClock(
        datetime(2026, 6, 1, 5, tzinfo=UTC), stop_at=datetime(2026, 6, 2, 5, tzinfo=UTC)
    )
    service = make_service(db, clock, count=0)
    await service.schedule(1, 1001, time(9), "Europe/Berlin")
    scheduler = TipScheduler(service, FakeDiscord(clock), clock)
    await run_until_stopped(scheduler)
    assert scheduler.status().last_error == "no tips in the knowledge base"
    assert len(clock.sleeps) < 30  # an hourly look, not a busy loop
    assert await post_rows(db) == []


@pytest.fixture
async def stale_claim(db: Database) -> tuple[DailyTipService, ManualClock]:
    clock = ManualClock(datetime(2026, 6, 1, 7, tzinfo=UTC))
    service = make_service(db, clock)
    await service.schedule(1, 1001, time(9), "Europe/Berlin")
    async with db.unit_of_work() as session:
        await session.execute(
            update(DailyTipSchedule).values(active_from=datetime(2026, 5, 1, tzinfo=UTC))
        )
    status = await service.status(1)
    assert status is not None
    assert await service.claim(status.schedule, "dead", clock.now()) is not None
    return service, clock


async def test_a_post_that_reached_discord_before_a_crash_is_not_sent_again(
    db: Database, stale_claim: tuple[DailyTipService, ManualClock]
) -> None:
    service, clock = stale_claim
    discord = FakeDiscord(clock)
    rows = await post_rows(db)
    discord.sent.append(Sent(77, 1, 1001, date(2026, 6, 1), rows[0].tip_slug, clock.now(), 0))
    clock.stop_at = clock.now() + timedelta(hours=1)
    await run_until_stopped(TipScheduler(service, discord, clock))
    assert len(discord.sent) == 1
    assert discord.attempts == []
    rows = await post_rows(db)
    assert [(r.status, r.message_id, r.posted_at) for r in rows] == [
        (POSTED, 77, datetime(2026, 6, 1, 7, tzinfo=UTC) + LEASE)
    ]


async def test_a_post_that_never_reached_discord_is_retried_after_the_lease(
    db: Database, stale_claim: tuple[DailyTipService, ManualClock]
) -> None:
    service, clock = stale_claim
    discord = FakeDiscord(clock)
    clock.stop_at = clock.now() + timedelta(hours=1)
    await run_until_stopped(TipScheduler(service, discord, clock))
    assert [(m.local_date, m.at) for m in discord.sent] == [
        (date(2026, 6, 1), datetime(2026, 6, 1, 7, tzinfo=UTC) + LEASE)
    ]


@pytest.fixture
async def due_now(db: Database) -> tuple[DailyTipService, ManualClock]:
    clock = ManualClock(datetime(2026, 6, 1, 7, tzinfo=UTC))
    service = make_service(db, clock)
    await service.schedule(1, 1001, time(9), "Europe/Berlin")
    async with db.unit_of_work() as session:
        await session.execute(
            update(DailyTipSchedule).values(active_from=datetime(2026, 5, 1, tzinfo=UTC))
        )
    return service, clock


async def test_a_stop_request_lets_the_post_in_flight_be_recorded(
    db: Database, due_now: tuple[DailyTipService, ManualClock]
) -> None:
    service, clock = due_now
    discord = FakeDiscord(clock)
    publishing, gate = asyncio.Event(), asyncio.Event()
    real_publish = discord.publish

    async def slow_publish(job: TipJob) -> int:
        publishing.set()
        await gate.wait()
        return await real_publish(job)

    discord.publish = slow_publish  # type: ignore[method-assign]
    scheduler = TipScheduler(service, discord, clock)
    task = asyncio.create_task(scheduler.run())
    await asyncio.wait_for(publishing.wait(), timeout=5)
    scheduler.request_stop()
    gate.set()
    await asyncio.wait_for(task, timeout=5)  # leaves run() by itself, no cancellation
    assert [(r.status, r.message_id) for r in await post_rows(db)] == [(POSTED, 1)]
    assert not scheduler.status().running


async def test_a_cancelled_scheduler_never_cuts_a_transaction_in_half(
    db: Database, due_now: tuple[DailyTipService, ManualClock]
) -> None:
    service, clock = due_now
    inside, gate = asyncio.Event(), asyncio.Event()
    real_claim = service.claim

    async def slow_claim(schedule, owner, now):  # type: ignore[no-untyped-def]
        inside.set()
        await gate.wait()
        return await real_claim(schedule, owner, now)

    service.claim = slow_claim  # type: ignore[method-assign]
    discord = FakeDiscord(clock)
    scheduler = TipScheduler(service, discord, clock, owner="dying")
    task = asyncio.create_task(scheduler.run())
    await asyncio.wait_for(inside.wait(), timeout=5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    gate.set()
    await scheduler.drain(5)
    rows = await post_rows(db)
    assert [(r.status, r.lease_owner) for r in rows] == [("pending", "dying")]  # whole claim
    assert discord.sent == []  # ...and nothing sent: a successor retries after the lease
    service.claim = real_claim  # type: ignore[method-assign]
    clock.stop_at = clock.now() + timedelta(hours=1)
    await run_until_stopped(TipScheduler(service, discord, clock, owner="heir"))
    assert [m.at for m in discord.sent] == [clock.now().replace(hour=7, minute=0) + LEASE]
