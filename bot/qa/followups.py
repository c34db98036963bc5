"""Follow-ups: an unanswered question is nudged, an answered one's asker is asked whether it is
solved, the mentors get a weekly digest of what is open, and a question left quiet for the
server's stale period is closed as stale; each exactly once.

A follow-up is claimed before it is sent: one UPDATE sets `nudged_at` (or `solved_check_at`,
or the settings' `digest_week`) where it is still unset, and only the caller that changed the
row sends. A send that fails puts the claim back (`release`), so it is tried again next round;
a bot that stops between the claim and the send loses that one follow-up rather than sending
it twice. Closing a stale question is its own claim: the UPDATE that closes it only closes one
still open. Each round reads the database afresh, so a restart misses nothing that came due.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import exists, func, select, update
from sqlalchemy.sql.elements import ColumnElement

from bot.core.actor import require_manage_server
from bot.core.values import rowcount
from bot.db.models import QaAnswer, QaQuestion, QaSettings
from bot.qa.model import Question
from bot.qa.store import QaStore, has_answers, to_question

NUDGE_AFTER_HOURS = 24  # an unanswered question waits this long for its nudge, by default
SOLVED_CHECK_AFTER = timedelta(hours=24)  # after the first answer, the asker is asked
NUDGE_MIN = timedelta(hours=1)  # the shortest wait a server may choose
DIGEST_SIZE = 15  # open questions a digest names (oldest first)
BATCH = 100  # follow-ups looked at per round
Step = Literal["nudged_at", "solved_check_at"]


class Unset:
    """An option a setter was not given (None means "clear it")."""


UNSET = Unset()


@dataclass(frozen=True, slots=True)
class Nudge:
    """An unanswered question to nudge, and the helper role to mention (None: nobody)."""

    question: Question
    hours: int
    helper_role_id: int | None


@dataclass(frozen=True, slots=True)
class Digest:
    """A server's weekly digest: its open questions, oldest first, and how many there are."""

    guild_id: int
    channel_id: int
    week: str
    questions: tuple[Question, ...]
    total: int


@dataclass(frozen=True, slots=True)
class FollowupSettings:
    """A server's follow-up choices."""

    nudge_after_hours: int
    helper_role_id: int | None
    mentors_channel_id: int | None
    stale_after_days: int | None = None


def iso_week(when: datetime) -> str:
    """The ISO week `when` falls in, e.g. "2026-W49"."""
    year, week, _ = when.isocalendar()
    return f"{year}-W{week:02d}"


def _open() -> tuple[ColumnElement[bool], ...]:
    """Questions that still wait: nobody answered, nobody closed them."""
    return (~has_answers(), QaQuestion.closed_at.is_(None))


class Followups(QaStore):
    """Nudges, solved checks and digests, each claimed once before it is sent."""

    async def set_followups(
        self,
        guild_id: int,
        *,
        can_manage: bool,
        nudge_after_hours: int | Unset = UNSET,
        helper_role_id: int | Unset | None = UNSET,
        mentors_channel_id: int | Unset | None = UNSET,
        stale_after_days: int | Unset | None = UNSET,
    ) -> FollowupSettings:
        """Change a server's follow-up choices (those given). Manage Server only."""
        require_manage_server(can_manage)
        async with self._db.unit_of_work() as session:
            row = await session.get(QaSettings, guild_id)
            if row is None:
                row = QaSettings(guild_id=guild_id)
                session.add(row)
            if not isinstance(nudge_after_hours, Unset):
                row.nudge_after_hours = nudge_after_hours
            if not isinstance(helper_role_id, Unset):
                row.helper_role_id = helper_role_id
            if not isinstance(mentors_channel_id, Unset):
                row.mentors_channel_id = mentors_channel_id
            if not isinstance(stale_after_days, Unset):
                row.stale_after_days = stale_after_days or None  # 0: never
            await session.flush()
            return _settings(row)

    async def followup_settings(self, guild_id: int) -> FollowupSettings:
        """A server's follow-up choices (the defaults when it made none)."""
        async with self._db.read() as session:
            row = await session.get(QaSettings, guild_id)
            return _settings(row)

    # -- what is due -----------------------------------------------------------------------

    async def due_nudges(self) -> list[Nudge]:
        """Unanswered questions that waited their server's time and were not nudged yet."""
        now = self._clock()
        async with self._db.read() as session:
            rows = (
                await session.execute(
                    self._questions()
                    .where(
                        *_open(),
                        QaQuestion.nudged_at.is_(None),
                        QaQuestion.created_at <= now - NUDGE_MIN,
                    )
                    .order_by(QaQuestion.created_at)
                    .limit(BATCH)
                )
            ).all()
            guilds = {row.guild_id for row, _ in rows}
            chosen = {
                s.guild_id: s
                for s in (
                    await session.scalars(select(QaSettings).where(QaSettings.guild_id.in_(guilds)))
                ).all()
            }
        due = []
        for row, count in rows:
            settings = _settings(chosen.get(row.guild_id))
            hours = settings.nudge_after_hours
            if hours > 0 and row.created_at <= now - timedelta(hours=hours):
                due.append(Nudge(to_question(row, count), hours, settings.helper_role_id))
        return due

    async def due_solved_checks(self) -> list[Question]:
        """Answered questions none of whose answers was accepted a day after the first, whose
        asker was not asked yet (nor closed them, nor left).
        """
        now = self._clock()
        first_answer = (
            select(func.min(QaAnswer.created_at))
            .where(QaAnswer.question_id == QaQuestion.id)
            .correlate(QaQuestion)
            .scalar_subquery()
        )
        async with self._db.read() as session:
            rows = (
                await session.execute(
                    self._questions()
                    .where(
                        has_answers(),
                        QaQuestion.accepted_answer_id.is_(None),
                        QaQuestion.closed_at.is_(None),
                        QaQuestion.author_id.is_not(None),
                        QaQuestion.solved_check_at.is_(None),
                        first_answer <= now - SOLVED_CHECK_AFTER,
                    )
                    .order_by(QaQuestion.created_at)
                    .limit(BATCH)
                )
            ).all()
        return [to_question(row, count) for row, count in rows]

    async def due_digests(self) -> list[tuple[int, int, str]]:
        """(server, mentors' channel, week) of every digest this week still owes."""
        week = iso_week(self._clock())
        async with self._db.read() as session:
            rows = (
                await session.execute(
                    select(
                        QaSettings.guild_id, QaSettings.mentors_channel_id, QaSettings.digest_week
                    )
                    .where(QaSettings.mentors_channel_id.is_not(None))
                    .limit(BATCH)
                )
            ).all()
        return [(g, c, week) for g, c, sent in rows if c is not None and sent != week]

    async def close_stale(self) -> list[tuple[Question, int]]:
        """Close as stale the questions of servers that chose a stale period and went that
        long without a new answer or an accept; each closed once. (Question, days) of each.
        """
        now = self._clock()
        closed: list[tuple[Question, int]] = []
        async with self._db.unit_of_work() as session:
            periods = (
                await session.execute(
                    select(QaSettings.guild_id, QaSettings.stale_after_days).where(
                        QaSettings.stale_after_days > 0
                    )
                )
            ).all()
            for guild_id, days in periods:
                if days is None:
                    continue
                cutoff = now - timedelta(days=days)
                recent = exists().where(
                    QaAnswer.question_id == QaQuestion.id, QaAnswer.created_at > cutoff
                )
                ids = (
                    await session.scalars(
                        select(QaQuestion.id)
                        .where(
                            QaQuestion.guild_id == guild_id,
                            QaQuestion.closed_at.is_(None),
                            QaQuestion.accepted_answer_id.is_(None),
                            QaQuestion.created_at <= cutoff,
                            ~recent,
                        )
                        .order_by(QaQuestion.created_at)
                        .limit(BATCH)
                    )
                ).all()
                for question_id in ids:
                    result = await session.execute(
                        update(QaQuestion)
                        .where(QaQuestion.id == question_id, QaQuestion.closed_at.is_(None))
                        .values(close_reason="stale", closed_at=now, archive_due_at=None)
                    )
                    if rowcount(result) == 1:
                        row, question = await self._load(session, guild_id, question_id)
                        row.nudged_at = row.nudged_at or now  # closed: no follow-up is needed
                        row.solved_check_at = row.solved_check_at or now
                        closed.append((question, days))
        return closed

    # -- claiming --------------------------------------------------------------------------

    async def claim(self, question_id: int, step: Step) -> bool:
        """Take a question's follow-up to send it; False when it was taken already."""
        column = getattr(QaQuestion, step)
        async with self._db.unit_of_work() as session:
            result = await session.execute(
                update(QaQuestion)
                .where(QaQuestion.id == question_id, column.is_(None))
                .values({step: self._clock()})
            )
            return rowcount(result) == 1

    async def release(self, question_id: int, step: Step) -> None:
        """Sending a claimed follow-up failed: it is due again."""
        async with self._db.unit_of_work() as session:
            await session.execute(
                update(QaQuestion).where(QaQuestion.id == question_id).values({step: None})
            )

    async def claim_digest(self, guild_id: int, week: str) -> Digest | None:
        """Take a server's digest of `week` and what it names (None: taken already)."""
        async with self._db.unit_of_work() as session:
            settings = await session.get(QaSettings, guild_id)
            if settings is None or settings.mentors_channel_id is None:
                return None
            previous = settings.digest_week
            if previous == week:
                return None
            result = await session.execute(
                update(QaSettings)
                .where(
                    QaSettings.guild_id == guild_id,
                    QaSettings.digest_week.is_(None)
                    if previous is None
                    else QaSettings.digest_week == previous,
                )
                .values(digest_week=week)
            )
            if rowcount(result) != 1:
                return None
            where = (QaQuestion.guild_id == guild_id, *_open())
            total = await session.scalar(select(func.count(QaQuestion.id)).where(*where))
            rows = (
                await session.execute(
                    self._questions()
                    .where(*where)
                    .order_by(QaQuestion.created_at)
                    .limit(DIGEST_SIZE)
                )
            ).all()
            return Digest(
                guild_id,
                settings.mentors_channel_id,
                week,
                tuple(to_question(r, c) for r, c in rows),
                int(total or 0),
            )

    async def release_digest(self, guild_id: int, week: str) -> None:
        """Sending a claimed digest failed: it is owed again."""
        async with self._db.unit_of_work() as session:
            await session.execute(
                update(QaSettings)
                .where(QaSettings.guild_id == guild_id, QaSettings.digest_week == week)
                .values(digest_week=None)
            )


def _settings(row: QaSettings | None) -> FollowupSettings:
    if row is None:
        return FollowupSettings(NUDGE_AFTER_HOURS, None, None)
    hours = NUDGE_AFTER_HOURS if row.nudge_after_hours is None else row.nudge_after_hours
    return FollowupSettings(hours, row.helper_role_id, row.mentors_channel_id, row.stale_after_days)
