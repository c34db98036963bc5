"""The daily tip service on a real SQLite file: admin actions and the exactly-once primitives."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.core.clock import ManualClock
from bot.dailytip import DailyTipService
from bot.dailytip.model import MISSED, PENDING, POSTED, Schedule
from bot.dailytip.postlog import LEASE
from bot.db.engine import Database
from bot.db.models import DailyTipPost
from bot.errors import NotFound
from bot.learnings.model import Learning
from bot.learnings.service import LearningsService

GUILD, OTHER = 111_111_111_111_111_111, 222_222_222_222_222_222
CHANNEL = 333_333_333_333_333_333
START = datetime(2026, 6, 10, 5, 0, tzinfo=UTC)  # 07:00 in Berlin


def tips(count: int) -> list[Learning]:
    return [
        Learning(f"tip-{i:03d}", "tip", f"Tip number {i}", "python", f"Tip {i}.", f"Do {i}.")
        for i in range(count)
    ]


def learnings_with(db: Database, count: int) -> LearningsService:
    service = LearningsService(db)
    service.load([*tips(count), Learning("a-concept", "concept", "A concept", "python", "s", "b")])
    return service


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def service(db: Database, clock: ManualClock) -> DailyTipService:
    return DailyTipService(db, learnings_with(db, 5), clock)


async def rows(db: Database) -> list[DailyTipPost]:
    async with db.read() as session:
        return list(await session.scalars(select(DailyTipPost).order_by(DailyTipPost.local_date)))


async def test_schedule_answers_with_the_next_post_time(service: DailyTipService) -> None:
    status = await service.schedule(GUILD, CHANNEL, time(9), "Europe/Berlin", by=5)
    assert status.schedule.enabled
    assert status.next_post == datetime(2026, 6, 10, 7, 0, tzinfo=UTC)  # today, 09:00 CEST
    assert status.last_post is None
    assert status.today is None


async def test_a_time_already_past_today_starts_tomorrow(
    service: DailyTipService, clock: ManualClock
) -> None:
    clock.set(datetime(2026, 6, 10, 8, 0, tzinfo=UTC))  # 10:00 in Berlin
    status = await service.schedule(GUILD, CHANNEL, time(9), "Europe/Berlin")
    assert status.next_post == datetime(2026, 6, 11, 7, 0, tzinfo=UTC)


async def test_rescheduling_keeps_the_rotation_and_clears_a_disable(
    service: DailyTipService, db: Database, clock: ManualClock
) -> None:
    first = await service.schedule(GUILD, CHANNEL, time(9), "Europe/Berlin")
    await service.disable(GUILD, -1, "the channel was deleted", clock.now())
    status = await service.status(GUILD)
    assert status is not None
    assert not status.schedule.enabled
    assert status.schedule.disabled_reason == "the channel was deleted"
    assert status.next_post is None
    again = await service.schedule(GUILD, CHANNEL + 1, time(18, 30), "Africa/Lagos")
    assert again.schedule.rotation_seed == first.schedule.rotation_seed
    assert again.schedule.enabled
    assert again.schedule.disabled_reason is None
    assert not again.schedule.notice_pending
    assert again.schedule.at == time(18, 30)
    assert again.next_post == datetime(2026, 6, 10, 17, 30, tzinfo=UTC)


async def test_stop_switches_it_off_and_stopping_twice_says_so(service: DailyTipService) -> None:
    with pytest.raises(NotFound, match="nothing to stop"):
        await service.stop(GUILD)
    await service.schedule(GUILD, CHANNEL, time(9), "UTC")
    stopped = await service.stop(GUILD)
    assert not stopped.enabled
    with pytest.raises(NotFound):
        await service.stop(GUILD)
    status = await service.status(GUILD)
    assert status is not None
    assert status.next_post is None


async def test_status_of_an_unscheduled_server_is_none(service: DailyTipService) -> None:
    assert await service.status(GUILD) is None


async def test_preview_shows_what_the_claim_will_post(
    service: DailyTipService, clock: ManualClock
) -> None:
    with pytest.raises(NotFound, match="/dailytip schedule"):
        await service.preview(GUILD)
    await service.schedule(GUILD, CHANNEL, time(9), "Europe/Berlin")
    shown = await service.preview(GUILD)
    assert shown.kind == "tip"
    clock.set(datetime(2026, 6, 10, 7, 0, tzinfo=UTC))
    schedule = await schedule_of(service, GUILD)
    claimed = await service.claim(schedule, "me", clock.now())
    assert claimed is not None
    assert claimed.tip_slug == shown.slug
    assert (await service.preview(GUILD)).slug == shown.slug  # pending: the same tip is next


async def test_preview_without_tips_says_so(db: Database, clock: ManualClock) -> None:
    service = DailyTipService(db, learnings_with(db, 0), clock)
    await service.schedule(GUILD, CHANNEL, time(9), "UTC")
    with pytest.raises(NotFound, match="no tips"):
        await service.preview(GUILD)


async def schedule_of(service: DailyTipService, guild: int) -> Schedule:
    status = await service.status(guild)
    assert status is not None
    return status.schedule


async def test_a_slot_is_claimed_once_and_only_when_due(
    service: DailyTipService, db: Database, clock: ManualClock
) -> None:
    await service.schedule(GUILD, CHANNEL, time(9), "Europe/Berlin")
    schedule = await schedule_of(service, GUILD)
    assert await service.claim(schedule, "me", clock.now()) is None  # 07:00: not yet due
    clock.set(datetime(2026, 6, 10, 7, 0, tzinfo=UTC))
    claimed = await service.claim(schedule, "me", clock.now())
    assert claimed is not None
    assert (claimed.status, claimed.local_date, claimed.attempts) == (PENDING, date(2026, 6, 10), 1)
    assert claimed.lease_owner == "me"
    assert claimed.lease_until == clock.now() + LEASE
    assert await service.claim(schedule, "me", clock.now()) is None
    assert await service.claim(schedule, "someone-else", clock.now()) is None
    assert len(await rows(db)) == 1


async def test_a_stopped_schedule_claims_nothing(
    service: DailyTipService, db: Database, clock: ManualClock
) -> None:
    await service.schedule(GUILD, CHANNEL, time(9), "Europe/Berlin")
    schedule = await schedule_of(service, GUILD)
    await service.stop(GUILD)
    clock.set(datetime(2026, 6, 10, 7, 0, tzinfo=UTC))
    assert await service.claim(schedule, "me", clock.now()) is None  # planned before the stop
    assert await rows(db) == []


@pytest.fixture
async def second_db(tmp_path: Path, db: Database) -> AsyncIterator[Database]:
    """Another engine on the same SQLite file, as a second bot process would have."""
    other = Database(db.url)
    yield other
    await other.close()


async def test_two_processes_racing_for_the_same_slots_post_each_day_once(
    db: Database, second_db: Database, clock: ManualClock
) -> None:
    here = DailyTipService(db, learnings_with(db, 5), clock)
    there = DailyTipService(second_db, learnings_with(second_db, 5), clock)
    await here.schedule(GUILD, CHANNEL, time(9), "Europe/Berlin")
    await here.schedule(OTHER, CHANNEL, time(9), "Europe/Berlin")
    wins = {"here": 0, "there": 0}
    for day in range(20):
        clock.set(datetime(2026, 6, 10, 7, 0, tzinfo=UTC) + timedelta(days=day))
        for guild in (GUILD, OTHER):
            schedule = await schedule_of(here, guild)
            results = await asyncio.gather(
                here.claim(schedule, "here", clock.now()),
                there.claim(schedule, "there", clock.now()),
                here.claim(schedule, "here-again", clock.now()),
                there.claim(schedule, "there-again", clock.now()),
            )
            won = [r for r in results if r is not None]
            assert len(won) == 1, results
            wins["here" if won[0].lease_owner.startswith("here") else "there"] += 1  # type: ignore[union-attr]
            await here.mark_posted(won[0].id, won[0].lease_owner or "", 1, clock.now())
    posts = await rows(db)
    assert len(posts) == 40
    assert len({(p.guild_id, p.local_date) for p in posts}) == 40
    assert all(p.status == POSTED for p in posts)
    assert wins["here"] > 0  # a real race: both sides won some
    assert wins["there"] > 0


async def test_a_retry_is_taken_by_one_process_once_its_backoff_and_lease_end(
    service: DailyTipService, db: Database, second_db: Database, clock: ManualClock
) -> None:
    there = DailyTipService(second_db, learnings_with(second_db, 5), clock)
    await service.schedule(GUILD, CHANNEL, time(9), "Europe/Berlin")
    clock.set(datetime(2026, 6, 10, 7, 0, tzinfo=UTC))
    claimed = await service.claim(await schedule_of(service, GUILD), "a", clock.now())
    assert claimed is not None
    # Still leased by "a": nobody may take it.
    assert await there.take_retry(claimed.id, "b", clock.now()) is None
    await service.mark_failed(claimed.id, "a", "503 Service Unavailable", clock.now() + LEASE)
    assert await there.take_retry(claimed.id, "b", clock.now()) is None  # backoff not over
    clock.advance(LEASE)
    results = await asyncio.gather(
        service.take_retry(claimed.id, "a", clock.now()),
        there.take_retry(claimed.id, "b", clock.now()),
    )
    taken = [r for r in results if r is not None]
    assert len(taken) == 1
    assert taken[0].attempts == 2
    assert taken[0].tip_slug == claimed.tip_slug  # the same day's tip, retried, not skipped
    assert taken[0].last_error == "503 Service Unavailable"


async def test_a_crashed_owners_claim_is_taken_over_after_its_lease(
    service: DailyTipService, clock: ManualClock
) -> None:
    await service.schedule(GUILD, CHANNEL, time(9), "Europe/Berlin")
    clock.set(datetime(2026, 6, 10, 7, 0, tzinfo=UTC))
    claimed = await service.claim(await schedule_of(service, GUILD), "dead", clock.now())
    assert claimed is not None
    clock.advance(LEASE - timedelta(seconds=1))
    assert await service.take_retry(claimed.id, "heir", clock.now()) is None
    clock.advance(timedelta(seconds=1))
    taken = await service.take_retry(claimed.id, "heir", clock.now())
    assert taken is not None
    assert taken.lease_owner == "heir"
    assert await service.mark_posted(taken.id, "heir", 99, clock.now())
    assert not await service.mark_posted(taken.id, "dead", 98, clock.now())


async def test_a_retry_follows_the_channel_and_replaces_a_deleted_tip(
    db: Database, clock: ManualClock
) -> None:
    learnings = learnings_with(db, 5)
    service = DailyTipService(db, learnings, clock)
    await service.schedule(GUILD, CHANNEL, time(9), "Europe/Berlin")
    clock.set(datetime(2026, 6, 10, 7, 0, tzinfo=UTC))
    claimed = await service.claim(await schedule_of(service, GUILD), "a", clock.now())
    assert claimed is not None
    await service.mark_failed(claimed.id, "a", "boom", clock.now())
    learnings.load([t for t in tips(5) if t.slug != claimed.tip_slug])
    await service.schedule(GUILD, CHANNEL + 7, time(9), "Europe/Berlin")
    taken = await service.take_retry(claimed.id, "a", clock.now())
    assert taken is not None
    assert taken.channel_id == CHANNEL + 7
    assert taken.tip_slug != claimed.tip_slug
    assert learnings.get(taken.tip_slug) is not None


async def test_disable_releases_the_day_and_leaves_a_notice(
    service: DailyTipService, db: Database, clock: ManualClock
) -> None:
    await service.schedule(GUILD, CHANNEL, time(9), "Europe/Berlin", log_channel_id=77)
    clock.set(datetime(2026, 6, 10, 7, 0, tzinfo=UTC))
    claimed = await service.claim(await schedule_of(service, GUILD), "a", clock.now())
    assert claimed is not None
    disabled = await service.disable(GUILD, claimed.id, "403 Missing Access", clock.now())
    assert disabled is not None
    notice, log_channel = disabled
    assert (notice.reason, notice.channel_id, log_channel) == ("403 Missing Access", CHANNEL, 77)
    assert await rows(db) == []  # nothing was posted: the day is free for a new schedule
    assert await service.disable(GUILD, claimed.id, "again", clock.now()) is None  # once
    taken = await service.take_notice(GUILD)
    assert taken is not None
    assert taken.reason == "403 Missing Access"
    assert await service.take_notice(GUILD) is None  # delivered once
    await service.restore_notice(GUILD)
    assert await service.take_notice(GUILD) is not None  # undelivered: kept for next time
    assert await service.take_notice(OTHER) is None


async def test_expire_and_drop_never_touch_a_claim_in_flight(
    service: DailyTipService, db: Database, clock: ManualClock
) -> None:
    await service.schedule(GUILD, CHANNEL, time(9), "Europe/Berlin")
    clock.set(datetime(2026, 6, 10, 7, 0, tzinfo=UTC))
    claimed = await service.claim(await schedule_of(service, GUILD), "a", clock.now())
    assert claimed is not None
    await service.expire(claimed.id, clock.now())
    await service.drop(claimed.id, clock.now())
    assert [p.status for p in await rows(db)] == [PENDING]
    clock.advance(LEASE)
    await service.expire(claimed.id, clock.now())
    assert [p.status for p in await rows(db)] == [MISSED]


async def test_missed_days_do_not_use_up_their_tip(
    service: DailyTipService, clock: ManualClock
) -> None:
    await service.schedule(GUILD, CHANNEL, time(9), "Europe/Berlin")
    clock.set(datetime(2026, 6, 10, 7, 0, tzinfo=UTC))
    first = await service.claim(await schedule_of(service, GUILD), "a", clock.now())
    assert first is not None
    clock.advance(LEASE)
    await service.expire(first.id, clock.now())
    clock.set(datetime(2026, 6, 11, 7, 0, tzinfo=UTC))
    second = await service.claim(await schedule_of(service, GUILD), "a", clock.now())
    assert second is not None
    assert second.tip_slug == first.tip_slug


async def test_load_returns_recent_and_pending_rows_only(
    service: DailyTipService, db: Database, clock: ManualClock
) -> None:
    await service.schedule(GUILD, CHANNEL, time(9), "Europe/Berlin")
    async with db.unit_of_work() as session:
        for day, status in ((date(2026, 1, 1), POSTED), (date(2026, 1, 2), PENDING)):
            session.add(
                DailyTipPost(
                    guild_id=GUILD,
                    local_date=day,
                    channel_id=CHANNEL,
                    tip_slug="tip-000",
                    status=status,
                    next_attempt_at=START,
                    claimed_at=START,
                )
            )
    schedules, posts = await service.load(clock.now())
    assert [s.guild_id for s in schedules] == [GUILD]
    assert [(p.local_date, p.status) for p in posts] == [(date(2026, 1, 2), PENDING)]
