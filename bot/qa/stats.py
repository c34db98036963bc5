"""The Q&A at a glance for the operators' metrics: what waits for an answer, and how long
recent questions waited for their first one. Read when Prometheus scrapes, in one read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import distinct, func, select

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


class Stats(QaStore):
    """Numbers about every server's Q&A together (no member's text)."""

    async def health(self, recent: timedelta = RECENT) -> QaHealth:
        """The Q&A's numbers now."""
        since = self._clock() - recent
        first_answer = (
            select(func.min(QaAnswer.created_at))
            .where(QaAnswer.question_id == QaQuestion.id)
            .correlate(QaQuestion)
            .scalar_subquery()
        )
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
            first_answer_seconds=tuple(
                max((answered - asked).total_seconds(), 0.0) for asked, answered in rows
            ),
        )
