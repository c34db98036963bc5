"""The daily tip: per-server schedules, the exactly-once post log, the rotation, the scheduler.

How a day's tip goes out (one scheduler per process, any number of processes per database):

1. The scheduler sleeps until the next due instant of any server (or until woken by a change).
2. It CLAIMS the server's slot before anything is sent: one conditional INSERT adds the
   (guild_id, local_date) row, unique in the database, with the server's next tip, and only if the
   schedule is still as planned. A second process, or this one after a restart, fails that
   insert and moves on: a day is never posted twice.
3. It posts. Success records the message id. A 5xx, 429 or network error keeps the claim and
   retries it with backoff (any process may take the retry); a 403/404 disables the schedule.
4. A claim whose owner died mid-post is taken over once its short lease runs out; the retry first
   looks for the message in the channel (and sends with a per-day nonce Discord enforces), so a
   crash between "Discord accepted it" and "we wrote it down" does not post it again.
5. Only the server's CURRENT local date is ever posted. A claim still pending when its local day
   ends becomes "missed"; after downtime, the same local day is caught up once, never yesterday's.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import random
import secrets
from collections.abc import Awaitable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Protocol, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import delete, exists, func, insert, literal, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.clock import Clock, SystemClock
from bot.core.localtime import first_due_on_or_after, local_due, zone_info
from bot.db.engine import Database
from bot.db.models import DailyTipPost, DailyTipSchedule
from bot.errors import NotFound
from bot.learnings.model import Learning
from bot.learnings.service import LearningsService
from bot.logs import log_context

log = logging.getLogger(__name__)

PENDING, POSTED, MISSED = "pending", "posted", "missed"
LEASE = timedelta(minutes=2)  # longer than one attempt may take (ATTEMPT_TIMEOUT)
ATTEMPT_TIMEOUT = 60.0
FIRST_RETRY = timedelta(seconds=30)
MAX_RETRY = timedelta(minutes=30)
FAULT_PAUSE = timedelta(seconds=30)  # after an unexpected error, for that server or for all
MAX_FAULT_PAUSE = timedelta(minutes=10)
NO_TIPS_PAUSE = timedelta(hours=1)
MAX_PASSES = 5
ERROR_TEXT = 300


# -- what the scheduler needs from Discord -----------------------------------------------------


class DestinationGone(Exception):
    """The channel is gone or Nexus may no longer post there (403/404): disable the schedule."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TemporaryFailure(Exception):
    """Discord is unwell or rate-limits us (5xx, 429, network): retry later."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class TipJob:
    """One attempt at posting one server's tip of one local day."""

    post_id: int
    guild_id: int
    channel_id: int
    local_date: date
    tip: Learning
    attempt: int
    claimed_at: datetime

    @property
    def nonce(self) -> int:
        """The same for every attempt at this server's day; Discord refuses a recent repeat."""
        digest = hashlib.sha256(f"dailytip:{self.guild_id}:{self.local_date}".encode()).digest()
        return int.from_bytes(digest[:8], "big") >> 1


@dataclass(frozen=True, slots=True)
class DisabledNotice:
    """What the server's admins must hear: their daily tip was switched off, and why."""

    guild_id: int
    channel_id: int
    reason: str
    disabled_at: datetime | None


class TipPublisher(Protocol):
    """Sends to Discord. Raises DestinationGone or TemporaryFailure; anything else is a retry."""

    async def publish(self, job: TipJob) -> int:
        """Post the tip; the new message's id."""
        ...

    async def find_existing(self, job: TipJob) -> int | None:
        """The id of this day's tip if an earlier attempt did reach the channel (best effort)."""
        ...

    async def notify(self, channel_id: int, notice: DisabledNotice) -> bool:
        """Tell the admins in their log channel; True when delivered."""
        ...


# -- plain views of the rows -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Schedule:
    guild_id: int
    channel_id: int
    at: time
    timezone: str
    enabled: bool
    active_from: datetime
    rotation_seed: int
    log_channel_id: int | None = None
    disabled_reason: str | None = None
    disabled_at: datetime | None = None
    notice_pending: bool = False

    @property
    def zone(self) -> ZoneInfo:
        return zone_info(self.timezone)

    def today(self, now: datetime) -> date:
        """The server's current local date."""
        return now.astimezone(self.zone).date()

    @classmethod
    def of(cls, row: DailyTipSchedule) -> Schedule:
        return cls(
            guild_id=row.guild_id,
            channel_id=row.channel_id,
            at=time(row.hour, row.minute),
            timezone=row.timezone,
            enabled=row.enabled,
            active_from=row.active_from,
            rotation_seed=row.rotation_seed,
            log_channel_id=row.log_channel_id,
            disabled_reason=row.disabled_reason,
            disabled_at=row.disabled_at,
            notice_pending=row.notice_pending,
        )


@dataclass(frozen=True, slots=True)
class Post:
    id: int
    guild_id: int
    local_date: date
    channel_id: int
    tip_slug: str
    rotation_round: int
    status: str
    attempts: int
    next_attempt_at: datetime
    lease_owner: str | None
    lease_until: datetime | None
    claimed_at: datetime
    posted_at: datetime | None
    message_id: int | None
    last_error: str | None

    def leased(self, now: datetime) -> bool:
        return self.lease_until is not None and self.lease_until > now

    @classmethod
    def of(cls, row: DailyTipPost) -> Post:
        return cls(
            id=row.id,
            guild_id=row.guild_id,
            local_date=row.local_date,
            channel_id=row.channel_id,
            tip_slug=row.tip_slug,
            rotation_round=row.rotation_round,
            status=row.status,
            attempts=row.attempts,
            next_attempt_at=row.next_attempt_at,
            lease_owner=row.lease_owner,
            lease_until=row.lease_until,
            claimed_at=row.claimed_at,
            posted_at=row.posted_at,
            message_id=row.message_id,
            last_error=row.last_error,
        )


@dataclass(frozen=True, slots=True)
class GuildTipStatus:
    """Everything `/dailytip status` shows."""

    schedule: Schedule
    next_post: datetime | None
    last_post: Post | None
    today: Post | None


# -- the rotation --------------------------------------------------------------------------------


def rotation_rank(seed: int, round_number: int, slug: str) -> bytes:
    """A tip's place in a server's shuffled round; a tip's place never depends on the others."""
    return hashlib.sha256(f"{seed}:{round_number}:{slug}".encode()).digest()


def next_in_rotation(
    slugs: Iterable[str],
    used_this_round: Iterable[str],
    round_number: int,
    seed: int,
    previous: str | None = None,
) -> tuple[str, int] | None:
    """The next tip and its round: every current tip once, in a shuffled order, then a new round.

    Each tip's rank in a round is its own hash, so adding a tip file slots it into the running
    round without reshuffling the others, and a deleted one simply is no longer there to pick.
    A new round never opens with the tip that closed the last one.
    """
    pool = set(slugs)
    if not pool:
        return None
    left = pool - set(used_this_round)
    if not left:
        round_number += 1
        left = pool - {previous} if len(pool) > 1 else pool
    pick = min(left, key=lambda slug: rotation_rank(seed, round_number, slug))
    return pick, round_number


# -- planning: what is due, and when to wake up ------------------------------------------------


@dataclass(frozen=True, slots=True)
class Plan:
    claims: tuple[Schedule, ...] = ()
    retries: tuple[tuple[Schedule, Post], ...] = ()
    expire: tuple[Post, ...] = ()  # pending claims whose local day is over: missed
    drop: tuple[Post, ...] = ()  # pending claims of a stopped or disabled schedule
    next_at: datetime | None = None

    @property
    def has_work(self) -> bool:
        return bool(self.claims or self.retries or self.expire or self.drop)


def next_action_at(schedule: Schedule, today: Post | None, now: datetime) -> datetime:
    """When `schedule` next needs the scheduler (at or before `now`: right away).

    `today` is the server's row for its current local date, if any.
    """
    zone = schedule.zone
    local_today = schedule.today(now)
    if today is None:
        due = local_due(local_today, schedule.at, zone)
        if due is not None and due >= schedule.active_from:
            return due  # may be in the past: catch up, the same local day
        day = local_today + timedelta(days=1)
        due = first_due_on_or_after(day, schedule.at, zone)
        while due < schedule.active_from:  # only when another process's clock runs ahead
            day += timedelta(days=1)
            due = first_due_on_or_after(day, schedule.at, zone)
        return due
    if today.status == PENDING:
        return max(today.next_attempt_at, today.lease_until or today.next_attempt_at)
    return first_due_on_or_after(local_today + timedelta(days=1), schedule.at, zone)


def plan(
    now: datetime,
    schedules: Sequence[Schedule],
    posts: Sequence[Post],
    holds: Mapping[int, datetime] | None = None,
) -> Plan:
    """Decide, from the rows, what is due now and when the next thing will be."""
    holds = holds or {}
    by_guild = {s.guild_id: s for s in schedules}
    rows = {(p.guild_id, p.local_date): p for p in posts}
    claims: list[Schedule] = []
    retries: list[tuple[Schedule, Post]] = []
    later: list[datetime] = []
    for schedule in schedules:
        if not schedule.enabled:
            continue
        today = rows.get((schedule.guild_id, schedule.today(now)))
        when = next_action_at(schedule, today, now)
        hold = holds.get(schedule.guild_id)
        if hold is not None and hold > now:
            when = max(when, hold)
        if when > now:
            later.append(when)
        elif today is None:
            claims.append(schedule)
        else:
            retries.append((schedule, today))
    expire: list[Post] = []
    drop: list[Post] = []
    for post in posts:
        if post.status != PENDING:
            continue
        owner = by_guild.get(post.guild_id)
        current = owner is not None and owner.enabled
        if current and owner is not None and post.local_date == owner.today(now):
            continue  # handled above
        if post.lease_until is not None and post.leased(now):
            later.append(post.lease_until)  # an attempt is in flight; look again when it ends
        elif current:
            expire.append(post)
        else:
            drop.append(post)
    return Plan(tuple(claims), tuple(retries), tuple(expire), tuple(drop), min(later, default=None))


def retry_delay(attempts: int, retry_after: float | None, rng: random.Random) -> timedelta:
    """Exponential backoff with jitter, at least what Discord asked for."""
    base = min(FIRST_RETRY * 2 ** max(attempts - 1, 0), MAX_RETRY)
    delay = base + base * rng.uniform(0, 0.1)
    if retry_after is not None:
        delay = max(delay, timedelta(seconds=retry_after))
    return delay


def _short(error: BaseException | str) -> str:
    text = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
    return text if len(text) <= ERROR_TEXT else text[: ERROR_TEXT - 1] + "…"


# -- the service -----------------------------------------------------------------------------------


class DailyTipService:
    """Schedules and the post log. Every method is one transaction."""

    def __init__(
        self, db: Database, learnings: LearningsService, clock: Clock | None = None
    ) -> None:
        self.db = db
        self.learnings = learnings
        self.clock: Clock = clock or SystemClock()

    # -- admin actions -------------------------------------------------------------------------

    async def schedule(
        self,
        guild_id: int,
        channel_id: int,
        at: time,
        timezone: str,
        *,
        log_channel_id: int | None = None,
        by: int | None = None,
    ) -> GuildTipStatus:
        """Create or change the server's schedule and switch it on.

        It counts from now: a time already past today starts tomorrow. The rotation is kept.
        """
        now = self.clock.now()
        async with self.db.unit_of_work() as session:
            row = await session.get(DailyTipSchedule, guild_id)
            if row is None:
                row = DailyTipSchedule(
                    guild_id=guild_id,
                    rotation_seed=secrets.randbits(62),
                    created_at=now,
                )
                session.add(row)
            row.channel_id = channel_id
            row.hour, row.minute = at.hour, at.minute
            row.timezone = timezone
            row.enabled = True
            row.active_from = now
            row.log_channel_id = log_channel_id
            row.disabled_reason = None
            row.disabled_at = None
            row.notice_pending = False
            row.updated_by = by
            row.updated_at = now
        status = await self.status(guild_id)
        assert status is not None
        return status

    async def stop(self, guild_id: int, *, by: int | None = None) -> Schedule:
        """Switch the server's daily tip off (its rotation is kept for when it comes back)."""
        now = self.clock.now()
        async with self.db.unit_of_work() as session:
            row = await session.get(DailyTipSchedule, guild_id)
            if row is None or not row.enabled:
                raise NotFound("No daily tip is scheduled in this server; nothing to stop.")
            row.enabled = False
            row.notice_pending = False
            row.updated_by = by
            row.updated_at = now
            return Schedule.of(row)

    async def status(self, guild_id: int) -> GuildTipStatus | None:
        """The server's schedule, its last post and its next one (None: never scheduled)."""
        now = self.clock.now()
        async with self.db.read() as session:
            row = await session.get(DailyTipSchedule, guild_id)
            if row is None:
                return None
            schedule = Schedule.of(row)
            last = await session.scalar(
                select(DailyTipPost)
                .where(DailyTipPost.guild_id == guild_id, DailyTipPost.status == POSTED)
                .order_by(DailyTipPost.local_date.desc())
                .limit(1)
            )
            today = await session.scalar(
                select(DailyTipPost).where(
                    DailyTipPost.guild_id == guild_id,
                    DailyTipPost.local_date == schedule.today(now),
                )
            )
        today_post = Post.of(today) if today is not None else None
        next_post = None
        if schedule.enabled:
            next_post = max(next_action_at(schedule, today_post, now), now)
        return GuildTipStatus(schedule, next_post, Post.of(last) if last else None, today_post)

    async def preview(self, guild_id: int) -> Learning:
        """The tip this server will get next (the one being retried, if a post is pending)."""
        now = self.clock.now()
        async with self.db.read() as session:
            row = await session.get(DailyTipSchedule, guild_id)
            if row is None:
                raise NotFound(
                    "No daily tip is scheduled here yet: set one with `/dailytip schedule`."
                )
            schedule = Schedule.of(row)
            pending = await session.scalar(
                select(DailyTipPost).where(
                    DailyTipPost.guild_id == guild_id,
                    DailyTipPost.local_date == schedule.today(now),
                    DailyTipPost.status == PENDING,
                )
            )
            if pending is not None and (tip := self.learnings.get(pending.tip_slug)) is not None:
                return tip
            picked = await self._next_tip(session, guild_id, schedule.rotation_seed)
        if picked is None:
            raise NotFound("The knowledge base has no tips yet, so there is nothing to post.")
        return picked[0]

    async def take_notice(self, guild_id: int) -> DisabledNotice | None:
        """The pending "your daily tip was switched off" notice, marked as delivered."""
        # Asked after every admin command: mostly there is none, and finding that out takes
        # no write lock (under load, writers queue for SQLite's one lock).
        async with self.db.read() as session:
            pending = await session.scalar(
                select(DailyTipSchedule.guild_id).where(
                    DailyTipSchedule.guild_id == guild_id, DailyTipSchedule.notice_pending
                )
            )
        if pending is None:
            return None
        async with self.db.unit_of_work() as session:
            taken = await session.execute(
                update(DailyTipSchedule)
                .where(DailyTipSchedule.guild_id == guild_id, DailyTipSchedule.notice_pending)
                .values(notice_pending=False)
            )
            if getattr(taken, "rowcount", 0) != 1:
                return None
            row = await session.get(DailyTipSchedule, guild_id)
            assert row is not None
            return DisabledNotice(
                guild_id, row.channel_id, row.disabled_reason or "unknown", row.disabled_at
            )

    async def restore_notice(self, guild_id: int) -> None:
        """The notice could not be delivered: keep it for the next admin command."""
        async with self.db.unit_of_work() as session:
            await session.execute(
                update(DailyTipSchedule)
                .where(DailyTipSchedule.guild_id == guild_id, ~DailyTipSchedule.enabled)
                .where(DailyTipSchedule.disabled_reason.is_not(None))
                .values(notice_pending=True)
            )

    # -- the scheduler's primitives ------------------------------------------------------------

    async def load(self, now: datetime) -> tuple[list[Schedule], list[Post]]:
        """Every schedule, and the posts the planner needs: recent days' and all pending ones."""
        since = now.astimezone(UTC).date() - timedelta(days=2)  # every zone's today is later
        async with self.db.read() as session:
            schedules = [Schedule.of(r) for r in await session.scalars(select(DailyTipSchedule))]
            posts = await session.scalars(
                select(DailyTipPost).where(
                    (DailyTipPost.status == PENDING) | (DailyTipPost.local_date >= since)
                )
            )
            return schedules, [Post.of(r) for r in posts]

    async def claim(self, schedule: Schedule, owner: str, now: datetime) -> Post | None:
        """Claim today's slot of the planned `schedule` with its next tip; None if not ours.

        One INSERT decides: it adds the (guild_id, local_date) row only if the schedule is still
        exactly as planned (not stopped, moved or re-timed meanwhile), and the unique constraint
        lets exactly one process win the day. The tip is read from the server's history just
        before; only this server's today is ever claimed, so no other write can make it stale.
        """
        local_date = schedule.today(now)
        due = local_due(local_date, schedule.at, schedule.zone)
        if due is None or due > now or due < schedule.active_from:
            return None
        async with self.db.read() as session:
            picked = await self._next_tip(session, schedule.guild_id, schedule.rotation_seed)
        if picked is None:
            return None
        tip, round_number = picked
        values: dict[str, Any] = {
            "guild_id": schedule.guild_id,
            "local_date": local_date,
            "channel_id": schedule.channel_id,
            "tip_slug": tip.slug,
            "rotation_round": round_number,
            "status": PENDING,
            "attempts": 1,
            "next_attempt_at": now,
            "lease_owner": owner,
            "lease_until": now + LEASE,
            "claimed_at": now,
        }
        table = DailyTipPost.__table__
        as_planned = exists().where(
            DailyTipSchedule.guild_id == schedule.guild_id,
            DailyTipSchedule.enabled,
            DailyTipSchedule.channel_id == schedule.channel_id,
            DailyTipSchedule.hour == schedule.at.hour,
            DailyTipSchedule.minute == schedule.at.minute,
            DailyTipSchedule.timezone == schedule.timezone,
            DailyTipSchedule.active_from == schedule.active_from,
        )
        row = select(*(literal(v, table.c[k].type) for k, v in values.items())).where(as_planned)
        statement = insert(DailyTipPost).from_select(list(values), row).returning(DailyTipPost.id)
        try:
            async with self.db.unit_of_work() as session:
                post_id = (await session.execute(statement)).scalar_one_or_none()
        except IntegrityError:
            return None  # another process (or an earlier run) has this day
        if post_id is None:
            return None  # the schedule changed since it was planned
        return Post(
            id=post_id,
            posted_at=None,
            message_id=None,
            last_error=None,
            **values,
        )

    async def take_retry(self, post_id: int, owner: str, now: datetime) -> Post | None:
        """Take a pending claim whose retry is due and whose lease is free; None if not ours."""
        async with self.db.unit_of_work() as session:
            taken = await session.execute(
                update(DailyTipPost)
                .where(
                    DailyTipPost.id == post_id,
                    DailyTipPost.status == PENDING,
                    DailyTipPost.next_attempt_at <= now,
                    (DailyTipPost.lease_until.is_(None)) | (DailyTipPost.lease_until <= now),
                )
                .values(
                    lease_owner=owner,
                    lease_until=now + LEASE,
                    attempts=DailyTipPost.attempts + 1,
                )
            )
            if getattr(taken, "rowcount", 0) != 1:
                return None
            post = await session.get(DailyTipPost, post_id)
            assert post is not None
            schedule = await session.get(DailyTipSchedule, post.guild_id)
            if schedule is None or not schedule.enabled:
                post.lease_owner, post.lease_until = None, None  # the planner drops it
                return None
            post.channel_id = schedule.channel_id  # the admin may have moved the tip meanwhile
            if self.learnings.get(post.tip_slug) is None:  # its file was deleted: pick another
                picked = await self._next_tip(
                    session, post.guild_id, schedule.rotation_seed, post.id
                )
                if picked is None:
                    post.lease_owner, post.lease_until = None, None
                    return None
                post.tip_slug, post.rotation_round = picked[0].slug, picked[1]
            await session.flush()
            return Post.of(post)

    async def mark_posted(self, post_id: int, owner: str, message_id: int, now: datetime) -> bool:
        """Record the sent message; False if our lease had run out (another process took it)."""
        posted = {
            "status": POSTED,
            "message_id": message_id,
            "posted_at": now,
            "lease_owner": None,
            "lease_until": None,
            "last_error": None,
        }
        pending = (DailyTipPost.id == post_id) & (DailyTipPost.status == PENDING)
        async with self.db.unit_of_work() as session:
            ours = await session.execute(
                update(DailyTipPost)
                .where(pending, DailyTipPost.lease_owner == owner)
                .values(posted)
            )
            if getattr(ours, "rowcount", 0) == 1:
                return True
            # Our lease ran out and someone may be retrying: the message exists, say so anyway.
            await session.execute(update(DailyTipPost).where(pending).values(posted))
            return False

    async def mark_failed(self, post_id: int, owner: str, error: str, retry_at: datetime) -> None:
        """Keep the claim and let it be retried at `retry_at` (by any process)."""
        async with self.db.unit_of_work() as session:
            await session.execute(
                update(DailyTipPost)
                .where(
                    DailyTipPost.id == post_id,
                    DailyTipPost.status == PENDING,
                    DailyTipPost.lease_owner == owner,
                )
                .values(
                    next_attempt_at=retry_at,
                    lease_owner=None,
                    lease_until=None,
                    last_error=_short(error),
                )
            )

    async def disable(
        self, guild_id: int, post_id: int, reason: str, now: datetime
    ) -> tuple[DisabledNotice, int | None] | None:
        """Switch a schedule off after a 403/404 and release the day's unsent claim.

        Returns the notice and the log channel to send it to, or None if it was already off.
        """
        async with self.db.unit_of_work() as session:
            await session.execute(
                delete(DailyTipPost).where(
                    DailyTipPost.id == post_id, DailyTipPost.status == PENDING
                )
            )
            row = await session.get(DailyTipSchedule, guild_id)
            if row is None or not row.enabled:
                return None
            text = _short(reason)
            row.enabled = False
            row.disabled_reason = text
            row.disabled_at = now
            row.notice_pending = True
            row.updated_at = now
            return DisabledNotice(guild_id, row.channel_id, text, now), row.log_channel_id

    async def expire(self, post_id: int, now: datetime) -> None:
        """A pending claim whose local day has ended is missed, never posted late."""
        async with self.db.unit_of_work() as session:
            await session.execute(
                update(DailyTipPost)
                .where(
                    DailyTipPost.id == post_id,
                    DailyTipPost.status == PENDING,
                    (DailyTipPost.lease_until.is_(None)) | (DailyTipPost.lease_until <= now),
                )
                .values(status=MISSED, lease_owner=None, lease_until=None)
            )

    async def drop(self, post_id: int, now: datetime) -> None:
        """Forget an unsent claim of a stopped schedule, so a new schedule may post that day."""
        async with self.db.unit_of_work() as session:
            await session.execute(
                delete(DailyTipPost).where(
                    DailyTipPost.id == post_id,
                    DailyTipPost.status == PENDING,
                    (DailyTipPost.lease_until.is_(None)) | (DailyTipPost.lease_until <= now),
                )
            )

    async def latest_post(self) -> Post | None:
        """The most recent tip posted in any server."""
        async with self.db.read() as session:
            row = await session.scalar(
                select(DailyTipPost)
                .where(DailyTipPost.status == POSTED)
                .order_by(DailyTipPost.posted_at.desc())
                .limit(1)
            )
        return Post.of(row) if row is not None else None

    # -- the rotation, read from the post log --------------------------------------------------

    async def _next_tip(
        self, session: AsyncSession, guild_id: int, seed: int, exclude_id: int | None = None
    ) -> tuple[Learning, int] | None:
        tips = {t.slug: t for t in self.learnings.all("tip")}
        shown = (DailyTipPost.guild_id == guild_id) & (DailyTipPost.status != MISSED)
        if exclude_id is not None:
            shown &= DailyTipPost.id != exclude_id
        latest = select(func.max(DailyTipPost.rotation_round)).where(shown).scalar_subquery()
        this_round = (
            await session.execute(
                select(DailyTipPost.tip_slug, DailyTipPost.rotation_round)
                .where(shown, DailyTipPost.rotation_round == latest)
                .order_by(DailyTipPost.local_date.desc())
            )
        ).all()
        round_number = max(this_round[0].rotation_round, 0) if this_round else 0
        previous = this_round[0].tip_slug if this_round else None
        used = [row.tip_slug for row in this_round]
        picked = next_in_rotation(tips, used, round_number, seed, previous)
        if picked is None:
            return None
        return tips[picked[0]], picked[1]


# -- the scheduler -------------------------------------------------------------------------------


@dataclass(slots=True)
class SchedulerStatus:
    """What `/about` shows about the daily tips."""

    running: bool = False
    next_run: datetime | None = None
    last_post: datetime | None = None
    last_post_guild: int | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None
    posted: int = 0  # by this process since it started


@dataclass(slots=True)
class _Faults:
    pauses: dict[int, datetime] = field(default_factory=dict)
    streaks: dict[int, int] = field(default_factory=dict)

    def hold(self, key: int, now: datetime) -> datetime:
        streak = self.streaks.get(key, 0) + 1
        self.streaks[key] = streak
        until = now + min(FAULT_PAUSE * 2 ** (streak - 1), MAX_FAULT_PAUSE)
        self.pauses[key] = until
        return until

    def clear(self, key: int) -> None:
        self.pauses.pop(key, None)
        self.streaks.pop(key, None)


ALL_SERVERS = 0  # the fault key for a failure of the whole pass (e.g. the database)
NEVER = datetime.max.replace(tzinfo=UTC)  # a job's server needs nothing more
T = TypeVar("T")


def _consume(task: asyncio.Task[Any]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.warning("daily tips: a unit of work failed after shutdown", exc_info=task.exception())


class TipScheduler:
    """One per process: sleeps until the next due post, posts it exactly once, survives anything."""

    def __init__(
        self,
        service: DailyTipService,
        publisher: TipPublisher,
        clock: Clock | None = None,
        *,
        owner: str | None = None,
        concurrency: int = 5,
        rng: random.Random | None = None,
    ) -> None:
        self.service = service
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
        return replace(self._status)

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
                    self._record_error(f"scheduler: {_short(error)}", now)
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
            todo = plan(now, schedules, posts, self._faults.pauses)
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
            self._record_error("no tips in the knowledge base", now)
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
                    self._record_error(f"server {guild_id}: {_short(error)}", now)
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
            return await self._later(job, _short(error), None)
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
        self._record_error(f"server {job.guild_id}: {reason} (retrying)", now)
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
        self._record_error(f"server {job.guild_id}: {reason} (schedule disabled)", now)
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

    def _record_error(self, text: str, now: datetime) -> None:
        self._status.last_error, self._status.last_error_at = _short(text), now
