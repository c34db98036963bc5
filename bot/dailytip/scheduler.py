"""The scheduler: one per process, it sleeps until a server's tip is due and posts it once.

It plans from the rows (`plan.py`), claims and records through the post log (`postlog.py`)
and sends through a `TipPublisher` the Discord side provides. No failure stops it: a server
that fails is paused (with backoff) on its own, a failed pass pauses every server.
"""

from __future__ import annotations

import asyncio
import logging
import random
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from bot.core.clock import Clock
from bot.dailytip.model import (
    POSTED,
    DestinationGone,
    Post,
    Schedule,
    SchedulerStatus,
    TemporaryFailure,
    TipJob,
    TipPublisher,
    short,
)
from bot.dailytip.plan import FIRST_RETRY, Plan, next_action_at, plan, retry_delay
from bot.dailytip.postlog import PostLog
from bot.logs import log_context

log = logging.getLogger(__name__)

ATTEMPT_TIMEOUT = 60.0  # seconds one call to Discord may take (shorter than the post log's LEASE)
FAULT_PAUSE = timedelta(seconds=30)  # after an unexpected error, for that server or for all
MAX_FAULT_PAUSE = timedelta(minutes=10)
NO_TIPS_PAUSE = timedelta(hours=1)
MAX_PASSES = 5
ALL_SERVERS = 0  # the fault key for a failure of the whole pass (e.g. the database)
NEVER = datetime.max.replace(tzinfo=UTC)  # a job's server needs nothing more
T = TypeVar("T")


@dataclass(slots=True)
class _Faults:
    """The pauses after unexpected errors, per server (and ALL_SERVERS), growing with a streak."""

    pauses: dict[int, datetime] = field(default_factory=dict)
    streaks: dict[int, int] = field(default_factory=dict)

    def hold(self, key: int, now: datetime) -> datetime:
        """One more failure for `key`: until when it waits."""
        streak = self.streaks.get(key, 0) + 1
        self.streaks[key] = streak
        until = now + min(FAULT_PAUSE * 2 ** (streak - 1), MAX_FAULT_PAUSE)
        self.pauses[key] = until
        return until

    def clear(self, key: int) -> None:
        """`key` worked again: no pause, and the next failure starts a new streak."""
        self.pauses.pop(key, None)
        self.streaks.pop(key, None)


def _consume(task: asyncio.Task[Any]) -> None:
    """Log what a shielded unit of work raised after the scheduler stopped waiting for it."""
    if not task.cancelled() and task.exception() is not None:
        log.warning("daily tips: a unit of work failed after shutdown", exc_info=task.exception())


class TipScheduler:
    """One per process: sleeps until the next due post, posts it exactly once, survives anything."""

    def __init__(
        self,
        service: PostLog,
        publisher: TipPublisher,
        clock: Clock | None = None,
        *,
        owner: str | None = None,
        concurrency: int = 5,
        rng: random.Random | None = None,
        elsewhere: Callable[[int], bool] | None = None,
    ) -> None:
        self.service = service
        self.elsewhere = elsewhere  # servers another process holds: claimed only as a stand-in
        self.publisher = publisher
        self.clock: Clock = clock or service.clock
        self.owner = owner or secrets.token_hex(8)
        self._limit = asyncio.Semaphore(concurrency)
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not a secret
        self._wake = asyncio.Event()
        self._faults = _Faults()
        self._status = SchedulerStatus()
        self._loaded_last_post = False
        self._stopping = False
        self._inflight: set[asyncio.Task[Any]] = set()

    # -- observing and steering ----------------------------------------------------------------

    def status(self) -> SchedulerStatus:
        """A snapshot for `/about`."""
        return replace(self._status, failures=dict(self._status.failures))

    def wake(self) -> None:
        """A schedule changed: plan again now instead of at the next planned instant."""
        self._wake.set()

    def request_stop(self) -> None:
        """Finish the current pass (a post half-done is recorded), then leave `run`."""
        self._stopping = True
        self._wake.set()

    async def drain(self, within: float) -> None:
        """Wait (bounded) for units of work still running after `run` was cancelled."""
        if self._inflight:
            await asyncio.wait(set(self._inflight), timeout=within)

    # -- the loop ------------------------------------------------------------------------------

    async def run(self) -> None:
        """Run until cancelled; no exception stops it."""
        self._status.running = True
        try:
            while not self._stopping:
                self._wake.clear()
                try:
                    next_at = await self.run_due()
                    self._faults.clear(ALL_SERVERS)
                except Exception as error:
                    now = self.clock.now()
                    next_at = self._faults.hold(ALL_SERVERS, now)
                    self._record_error(f"scheduler: {short(error)}", now, "error")
                    log.exception("daily tips: the scheduler pass failed; next try at %s", next_at)
                self._status.next_run = next_at
                if not self._stopping:
                    await self.clock.sleep_until(next_at, self._wake)
        finally:
            self._status.running = False

    async def run_due(self) -> datetime | None:
        """Do everything that is due now; the instant of the next thing (None: nothing, ever)."""
        if not self._loaded_last_post:
            last = await self._db(self.service.latest_post())
            if last is not None and self._status.last_post is None:
                self._status.last_post, self._status.last_post_guild = last.posted_at, last.guild_id
            self._loaded_last_post = True
        for _ in range(MAX_PASSES):
            now = self.clock.now()
            schedules, posts = await self._db(self.service.load(now))
            todo = plan(now, schedules, posts, self._faults.pauses, self.elsewhere)
            if not todo.has_work:
                return todo.next_at
            outcomes = await self._work(todo, now)
            if None not in outcomes:  # every job knows when its server needs us again
                soonest = min([todo.next_at or NEVER, *(o for o in outcomes if o is not None)])
                return None if soonest == NEVER else soonest
        return self.clock.now() + timedelta(seconds=1)  # still busy: look again after a breath

    async def _db(self, work: Awaitable[T]) -> T:
        """Await one unit of work that runs to its end even if the scheduler is cancelled.

        Cancelling a transaction half-way (a cog reload, a shutdown) could leave its connection
        holding SQLite's write lock; shielded, it commits or rolls back as usual.
        """
        task = asyncio.ensure_future(work)
        self._inflight.add(task)
        task.add_done_callback(self._inflight.discard)
        try:
            return await asyncio.shield(task)
        except asyncio.CancelledError:
            task.add_done_callback(_consume)
            raise

    async def _work(self, todo: Plan, now: datetime) -> list[datetime | None]:
        """Run the due jobs; for each, when its server next needs us (None: plan again)."""
        if (todo.claims or todo.retries) and not self.service.learnings.all("tip"):
            self._record_error("no tips in the knowledge base", now, "no_tips")
            waiting = {s.guild_id for s in todo.claims} | {s.guild_id for s, _ in todo.retries}
            for guild_id in waiting:
                self._faults.pauses[guild_id] = now + NO_TIPS_PAUSE
            return [None]
        for post in todo.expire:
            log.warning(
                "daily tips: server %s missed its tip of %s (%s)",
                post.guild_id,
                post.local_date,
                post.last_error or "never sent",
            )
        jobs = [self._guarded(s.guild_id, self._claim_and_post(s)) for s in todo.claims]
        jobs += [self._guarded(s.guild_id, self._retry(s, p)) for s, p in todo.retries]
        jobs += [self._guarded(p.guild_id, self._expire(p, now)) for p in todo.expire]
        jobs += [self._guarded(p.guild_id, self._drop(p, now)) for p in todo.drop]
        return list(await asyncio.gather(*jobs))

    async def _guarded(self, guild_id: int, work: Awaitable[datetime | None]) -> datetime | None:
        """One server's work: its failure pauses that server only."""
        async with self._limit:
            with log_context(guild=guild_id, command="daily tip"):
                try:
                    outcome = await work
                except Exception as error:
                    now = self.clock.now()
                    until = self._faults.hold(guild_id, now)
                    self._record_error(f"server {guild_id}: {short(error)}", now, "error")
                    log.exception("daily tips: server %s failed; paused until %s", guild_id, until)
                    return until
                self._faults.clear(guild_id)
                return outcome

    # -- one server --------------------------------------------------------------------------

    async def _claim_and_post(self, schedule: Schedule) -> datetime | None:
        post = await self._db(self.service.claim(schedule, self.owner, self.clock.now()))
        if post is None:
            return None  # taken by another process, or the schedule changed: plan again
        return await self._attempt(schedule, post)

    async def _retry(self, schedule: Schedule, pending: Post) -> datetime | None:
        post = await self._db(self.service.take_retry(pending.id, self.owner, self.clock.now()))
        if post is None:
            return None
        return await self._attempt(schedule, post)

    async def _expire(self, post: Post, now: datetime) -> datetime:
        await self._db(self.service.expire(post.id, now))
        self._count("missed")
        return NEVER  # its server's own next post was planned separately

    async def _drop(self, post: Post, now: datetime) -> datetime:
        await self._db(self.service.drop(post.id, now))
        return NEVER

    async def _attempt(self, schedule: Schedule, post: Post) -> datetime | None:
        """Post a claimed tip; when this server next needs us."""
        tip = self.service.learnings.get(post.tip_slug)
        if tip is None:  # its file vanished since the claim: the retry picks another
            retry_at = self.clock.now() + FIRST_RETRY
            await self._db(
                self.service.mark_failed(post.id, self.owner, "the tip was removed", retry_at)
            )
            self._count("retry")
            return retry_at
        job = TipJob(
            post.id,
            post.guild_id,
            post.channel_id,
            post.local_date,
            tip,
            post.attempts,
            post.claimed_at,
        )
        try:
            message_id = await self._existing(job) if job.attempt > 1 else None
            if message_id is None:
                async with asyncio.timeout(ATTEMPT_TIMEOUT):
                    message_id = await self.publisher.publish(job)
        except DestinationGone as gone:
            await self._disable(job, gone.reason)
            return NEVER
        except TemporaryFailure as failure:
            return await self._later(job, failure.reason, failure.retry_after)
        except Exception as error:  # a bug or an unknown failure: keep the claim, try again
            log.exception("daily tips: posting in server %s failed", job.guild_id)
            return await self._later(job, short(error), None)
        now = self.clock.now()
        if not await self._db(self.service.mark_posted(job.post_id, self.owner, message_id, now)):
            log.warning(
                "daily tips: server %s's tip of %s was recorded after our lease ran out",
                job.guild_id,
                job.local_date,
            )
        self._status.last_post, self._status.last_post_guild = now, job.guild_id
        self._status.posted += 1
        log.info(
            "daily tips: posted %s in server %s for %s", tip.slug, job.guild_id, job.local_date
        )
        return next_action_at(schedule, replace(post, status=POSTED), now)

    async def _existing(self, job: TipJob) -> int | None:
        try:
            async with asyncio.timeout(ATTEMPT_TIMEOUT):
                return await self.publisher.find_existing(job)
        except Exception:
            log.warning("daily tips: could not look for an earlier post", exc_info=True)
            return None

    async def _later(self, job: TipJob, reason: str, retry_after: float | None) -> datetime:
        now = self.clock.now()
        retry_at = now + retry_delay(job.attempt, retry_after, self._rng)
        await self._db(self.service.mark_failed(job.post_id, self.owner, reason, retry_at))
        self._record_error(f"server {job.guild_id}: {reason} (retrying)", now, "retry")
        log.warning(
            "daily tips: server %s, attempt %d failed (%s); retrying at %s",
            job.guild_id,
            job.attempt,
            reason,
            retry_at.isoformat(timespec="seconds"),
        )
        return retry_at

    async def _disable(self, job: TipJob, reason: str) -> None:
        now = self.clock.now()
        disabled = await self._db(self.service.disable(job.guild_id, job.post_id, reason, now))
        if disabled is None:
            return
        notice, log_channel = disabled
        self._record_error(f"server {job.guild_id}: {reason} (schedule disabled)", now, "disabled")
        log.warning("daily tips: disabled in server %s: %s", job.guild_id, reason)
        if log_channel is None:
            return
        try:
            async with asyncio.timeout(ATTEMPT_TIMEOUT):
                delivered = await self.publisher.notify(log_channel, notice)
        except Exception:
            log.warning("daily tips: could not tell server %s's log channel", job.guild_id)
            delivered = False
        if delivered:
            await self._db(self.service.take_notice(job.guild_id))

    def _record_error(self, text: str, now: datetime, reason: str) -> None:
        self._status.last_error, self._status.last_error_at = short(text), now
        self._count(reason)

    def _count(self, reason: str) -> None:
        """One more failure of this kind (SchedulerStatus.failures says which kinds there are)."""
        failures = self._status.failures
        failures[reason] = failures.get(reason, 0) + 1
