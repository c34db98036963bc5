"""The exactly-once post log: the scheduler's claims, retries and outcomes, one row a local day.

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

Every method is one transaction; the admins' actions on the schedule are in `service.py`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, exists, func, insert, literal, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from bot.core.clock import Clock, SystemClock
from bot.core.localtime import local_due
from bot.core.values import rowcount
from bot.dailytip.model import MISSED, PENDING, POSTED, DisabledNotice, Post, Schedule, short
from bot.dailytip.plan import next_in_rotation
from bot.db.engine import Database
from bot.db.models import DailyTipPost, DailyTipSchedule
from bot.learnings.model import Learning
from bot.learnings.service import LearningsService

LEASE = timedelta(minutes=2)  # longer than one attempt may take (the scheduler's timeout)


async def next_tip(
    session: AsyncSession,
    tips: dict[str, Learning],
    guild_id: int,
    seed: int,
    exclude_id: int | None = None,
) -> tuple[Learning, int] | None:
    """The server's next tip among `tips` and its round, read from the server's post log.

    `exclude_id` leaves one post out of the history (the claim whose tip is being replaced).
    """
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


def _pending(post_id: int) -> ColumnElement[bool]:
    """The post `post_id`, while it is a claim not yet posted."""
    return (DailyTipPost.id == post_id) & (DailyTipPost.status == PENDING)


def _lease_free(now: datetime) -> ColumnElement[bool]:
    """No attempt holds the claim at `now`: it never had a lease, or the lease ran out."""
    return DailyTipPost.lease_until.is_(None) | (DailyTipPost.lease_until <= now)


class PostLog:
    """The post log and the switched-off notice: what the scheduler reads and writes."""

    def __init__(
        self, db: Database, learnings: LearningsService, clock: Clock | None = None
    ) -> None:
        self.db = db
        self.learnings = learnings
        self.clock: Clock = clock or SystemClock()

    def tips(self) -> dict[str, Learning]:
        """The knowledge base's current tips, by slug."""
        return {t.slug: t for t in self.learnings.all("tip")}

    # -- the notice that a schedule was switched off -------------------------------------------

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
            if rowcount(taken) != 1:
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
            picked = await next_tip(session, self.tips(), schedule.guild_id, schedule.rotation_seed)
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
                .where(_pending(post_id), DailyTipPost.next_attempt_at <= now, _lease_free(now))
                .values(
                    lease_owner=owner,
                    lease_until=now + LEASE,
                    attempts=DailyTipPost.attempts + 1,
                )
            )
            if rowcount(taken) != 1:
                return None
            post = await session.get(DailyTipPost, post_id)
            assert post is not None
            schedule = await session.get(DailyTipSchedule, post.guild_id)
            if schedule is None or not schedule.enabled:
                post.lease_owner, post.lease_until = None, None  # the planner drops it
                return None
            post.channel_id = schedule.channel_id  # the admin may have moved the tip meanwhile
            if self.learnings.get(post.tip_slug) is None:  # its file was deleted: pick another
                picked = await next_tip(
                    session, self.tips(), post.guild_id, schedule.rotation_seed, post.id
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
        pending = _pending(post_id)
        async with self.db.unit_of_work() as session:
            ours = await session.execute(
                update(DailyTipPost)
                .where(pending, DailyTipPost.lease_owner == owner)
                .values(posted)
            )
            if rowcount(ours) == 1:
                return True
            # Our lease ran out and someone may be retrying: the message exists, say so anyway.
            await session.execute(update(DailyTipPost).where(pending).values(posted))
            return False

    async def mark_failed(self, post_id: int, owner: str, error: str, retry_at: datetime) -> None:
        """Keep the claim and let it be retried at `retry_at` (by any process)."""
        async with self.db.unit_of_work() as session:
            await session.execute(
                update(DailyTipPost)
                .where(_pending(post_id), DailyTipPost.lease_owner == owner)
                .values(
                    next_attempt_at=retry_at,
                    lease_owner=None,
                    lease_until=None,
                    last_error=short(error),
                )
            )

    async def disable(
        self, guild_id: int, post_id: int, reason: str, now: datetime
    ) -> tuple[DisabledNotice, int | None] | None:
        """Switch a schedule off after a 403/404 and release the day's unsent claim.

        Returns the notice and the log channel to send it to, or None if it was already off.
        """
        async with self.db.unit_of_work() as session:
            await session.execute(delete(DailyTipPost).where(_pending(post_id)))
            row = await session.get(DailyTipSchedule, guild_id)
            if row is None or not row.enabled:
                return None
            text = short(reason)
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
                .where(_pending(post_id), _lease_free(now))
                .values(status=MISSED, lease_owner=None, lease_until=None)
            )

    async def drop(self, post_id: int, now: datetime) -> None:
        """Forget an unsent claim of a stopped schedule, so a new schedule may post that day."""
        async with self.db.unit_of_work() as session:
            await session.execute(delete(DailyTipPost).where(_pending(post_id), _lease_free(now)))

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
