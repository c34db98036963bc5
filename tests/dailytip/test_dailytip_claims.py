"""The post log's claims under real concurrency: many processes (each its own engine and pool)
racing for the same server's day, on a SQLite file and on PostgreSQL. Exactly one wins each
race: the day's claim, the retry of a claim whose owner died, the record of the post."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.core.clock import ManualClock
from bot.dailytip import DailyTipService
from bot.dailytip.model import PENDING, POSTED
from bot.dailytip.postlog import LEASE
from bot.db.engine import Database
from bot.db.models import DailyTipPost
from bot.learnings.model import Learning
from bot.learnings.service import LearningsService
from tests.postgres import PostgresDatabases

PROCESSES = 8
ROUNDS = 5  # days raced for, one after the other
GUILD, CHANNEL = 4242, 4343
START = datetime(2026, 3, 1, 6, 0, tzinfo=UTC)
TIPS = [
    Learning(f"tip-{i:02d}", "tip", f"Tip number {i}", "python", f"Tip {i}.", f"Do {i}.")
    for i in range(20)
]


@asynccontextmanager
async def processes(
    kind: str, request: pytest.FixtureRequest, folder: Path, clock: ManualClock
) -> AsyncIterator[list[DailyTipService]]:
    """PROCESSES services on one migrated database, each with its own engine."""
    if kind == "sqlite":
        url = f"sqlite+aiosqlite:///{folder / 'nexus.db'}"
        first = Database(url)
        await first.upgrade()
        await first.close()
        async with _services(url, clock) as services:
            yield services
        return
    databases: PostgresDatabases = request.getfixturevalue("postgres")
    async with databases.migrated() as url, _services(url, clock) as services:
        yield services


@asynccontextmanager
async def _services(url: str, clock: ManualClock) -> AsyncIterator[list[DailyTipService]]:
    engines = [Database(url) for _ in range(PROCESSES)]
    services = []
    for db in engines:
        learnings = LearningsService(db)
        learnings.load(TIPS)
        services.append(DailyTipService(db, learnings, clock))
    try:
        yield services
    finally:
        for db in engines:
            await db.close()


async def rows(service: DailyTipService) -> list[DailyTipPost]:
    async with service.db.read() as session:
        return list(await session.scalars(select(DailyTipPost).order_by(DailyTipPost.id)))


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
async def test_processes_racing_for_a_day_claim_retry_and_record_it_once(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    clock = ManualClock(START)
    async with processes(kind, request, tmp_path, clock) as services:
        await services[0].schedule(GUILD, CHANNEL, time(9, 0), "UTC")
        for day in range(ROUNDS):
            clock.set(START.replace(hour=9) + timedelta(days=day))
            now = clock.now()
            schedules, _ = await services[0].load(now)
            (schedule,) = schedules

            # Every process wakes at the due instant and claims the day at once.
            claims = await asyncio.gather(
                *(s.claim(schedule, f"process-{i}", now) for i, s in enumerate(services))
            )
            won = [c for c in claims if c is not None]
            assert len(won) == 1, f"day {day}: {len(won)} claims won"
            claim = won[0]

            # Its owner dies before posting; once the lease has run out, all race to retry.
            clock.advance(LEASE + timedelta(seconds=1))
            later = clock.now()
            retries = await asyncio.gather(
                *(s.take_retry(claim.id, f"retry-{i}", later) for i, s in enumerate(services))
            )
            taken = [(i, r) for i, r in enumerate(retries) if r is not None]
            assert len(taken) == 1, f"day {day}: {len(taken)} retries taken"
            owner, retry = taken[0]
            assert retry.attempts == 2
            assert retry.tip_slug == claim.tip_slug  # the same day's tip, not a new pick

            # The retry's owner records its message while the stale owner, back from the
            # dead, records one too: the first record stays, the other changes nothing.
            ours, stale = await asyncio.gather(
                services[owner].mark_posted(claim.id, f"retry-{owner}", 1000 + day, later),
                services[(owner + 1) % PROCESSES].mark_posted(
                    claim.id, claim.lease_owner or "", 2000 + day, later
                ),
            )
            assert stale is False
            (row,) = [r for r in await rows(services[0]) if r.id == claim.id]
            assert row.message_id == (1000 if ours else 2000) + day

        logged = await rows(services[0])
    assert len(logged) == ROUNDS
    assert {r.status for r in logged} == {POSTED}
    assert {r.attempts for r in logged} == {2}
    assert len({r.tip_slug for r in logged}) == ROUNDS  # the rotation never repeats a tip
    assert PENDING not in {r.status for r in logged}
