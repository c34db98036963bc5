"""The daily tip's service: what a server's admins do with their schedule, over the post log.

`DailyTipService` is the one object the bot holds for the feature: the admins' actions
(schedule, stop, status, preview) here, the post log the scheduler drives in `postlog.py`.
Every method is one transaction.
"""

from __future__ import annotations

import secrets
from datetime import time

from sqlalchemy import select

from bot.dailytip.model import PENDING, POSTED, GuildTipStatus, Post, Schedule
from bot.dailytip.plan import next_action_at
from bot.dailytip.postlog import PostLog, next_tip
from bot.db.models import DailyTipPost, DailyTipSchedule
from bot.errors import NotFound
from bot.learnings.model import Learning


class DailyTipService(PostLog):
    """Schedules and the post log. Every method is one transaction."""

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
            picked = await next_tip(session, self.tips(), guild_id, schedule.rotation_seed)
        if picked is None:
            raise NotFound("The knowledge base has no tips yet, so there is nothing to post.")
        return picked[0]
