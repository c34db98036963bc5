"""The Q&A at a glance: for the operators' metrics, what waits for an answer and how long
recent questions waited for their first one (read when Prometheus scrapes, in one read); for a
server's members (`/qa stats`), the health of their community over a recent window.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median

from sqlalchemy import ScalarSelect, distinct, func, select

from bot.db.models import QaAnswer, QaQuestion
from bot.qa.store import QaStore, has_answers

RECENT = timedelta(days=30)  # the questions whose time to a first answer is reported
RECENT_MAX = 1000  # of those, at most the newest this many (bounds the read)


@dataclass(frozen=True, slots=True)
class QaHealth:
    """Questions without an answer (and since when the oldest waits), and the seconds from
    question to first answer of each recent question that has one (newest first).
    """

    open_questions: int
    oldest_open_at: datetime | None
    first_answer_seconds: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class Community:
    """A server's questions asked since `since`: how many, how many have an answer and an
    accepted one, and the median seconds to a first answer and to an accepted one (None: no
    such question).
    """

    since: datetime
    asked: int
    answered: int
    accepted: int
    median_first_answer: float | None
    median_accept: float | None

    @property
    def answered_share(self) -> float | None:
        """The share of those questions that have an answer (None when none was asked)."""
        return self.answered / self.asked if self.asked else None


def first_answer_at() -> ScalarSelect[datetime]:
    """When the question of the enclosing query got its first answer (a correlated subquery)."""
    return (
        select(func.min(QaAnswer.created_at))
        .where(QaAnswer.question_id == QaQuestion.id)
        .correlate(QaQuestion)
        .scalar_subquery()
    )


def waits(rows: Sequence[tuple[datetime, datetime]]) -> tuple[float, ...]:
    """Seconds from each first instant to the second (never negative)."""
    return tuple(max((later - earlier).total_seconds(), 0.0) for earlier, later in rows)


class Stats(QaStore):
    """Numbers about every server's Q&A together (no member's text)."""

    async def health(self, recent: timedelta = RECENT) -> QaHealth:
        """The Q&A's numbers now."""
        since = self._clock() - recent
        first_answer = first_answer_at()
        async with self._db.read() as session:
            # Counted from two index scans (every question, every answered one) rather than
            # by probing the answers of each question.
            questions = await session.scalar(select(func.count(QaQuestion.id)))
            with_answers = await session.scalar(select(func.count(distinct(QaAnswer.question_id))))
            # Ids grow with time: the first unanswered question by id is the oldest waiting.
            oldest = await session.scalar(
                select(QaQuestion.created_at).where(~has_answers()).order_by(QaQuestion.id).limit(1)
            )
            rows = (
                await session.execute(
                    select(QaQuestion.created_at, first_answer)
                    .where(QaQuestion.created_at >= since, has_answers())
                    .order_by(QaQuestion.id.desc())
                    .limit(RECENT_MAX)
                )
            ).all()
        return QaHealth(
            open_questions=int(questions or 0) - int(with_answers or 0),
            oldest_open_at=oldest,
            first_answer_seconds=waits([(asked, answered) for asked, answered in rows]),
        )

    async def community(self, guild_id: int, window: timedelta) -> Community:
        """The health of a server's Q&A: its questions asked within `window` until now (the
        medians over the newest `RECENT_MAX` of them that have an answer, an accepted one).
        """
        since = self._clock() - window
        asked = (QaQuestion.guild_id == guild_id, QaQuestion.created_at >= since)
        accepted = QaQuestion.accepted_at.is_not(None)
        async with self._db.read() as session:
            total = await session.scalar(select(func.count(QaQuestion.id)).where(*asked))
            answered = await session.scalar(
                select(func.count(QaQuestion.id)).where(*asked, has_answers())
            )
            accepted_count = await session.scalar(
                select(func.count(QaQuestion.id)).where(
                    *asked, QaQuestion.accepted_answer_id.is_not(None)
                )
            )
            first = (
                await session.execute(
                    select(QaQuestion.created_at, first_answer_at())
                    .where(*asked, has_answers())
                    .order_by(QaQuestion.id.desc())
                    .limit(RECENT_MAX)
                )
            ).all()
            accepts = (
                await session.execute(
                    select(QaQuestion.created_at, QaQuestion.accepted_at)
                    .where(*asked, accepted)
                    .order_by(QaQuestion.id.desc())
                    .limit(RECENT_MAX)
                )
            ).all()
        first_waits = waits([(a, b) for a, b in first])
        accept_waits = waits([(a, b) for a, b in accepts if b is not None])
        return Community(
            since=since,
            asked=int(total or 0),
            answered=int(answered or 0),
            accepted=int(accepted_count or 0),
            median_first_answer=median(first_waits) if first_waits else None,
            median_accept=median(accept_waits) if accept_waits else None,
        )
