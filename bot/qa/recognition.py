"""Recognition: helpful votes on answers, points, the server's leaderboard, members' profiles.

Points are never stored: they are counted when asked, from the answers accepted by someone
other than their author (`ACCEPTED_POINTS` each) and the 👍 votes answers received
(`VOTE_POINTS` each), so nothing can drift. An answer counts for a period by when it was
accepted, a vote by when it was cast. A member who asked to be forgotten has no votes (theirs
are deleted) and no points (their answers no longer name them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import delete, func, literal, or_, select, type_coerce, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from bot.core.actor import Actor
from bot.core.values import rowcount
from bot.db.engine import take_turn
from bot.db.models import QaAnswer, QaQuestion, QaVote
from bot.db.types import UTCDateTime
from bot.errors import NotAllowed
from bot.qa.model import Answer
from bot.qa.store import QaStore

ACCEPTED_POINTS = 10  # an answer accepted by someone other than its author
VOTE_POINTS = 2  # a 👍 an answer received
LEADERBOARD_SIZE = 10

Period = Literal["week", "month", "all"]
PERIODS: dict[Period, timedelta | None] = {
    "week": timedelta(days=7),
    "month": timedelta(days=30),
    "all": None,
}
OWN_ANSWER = "You cannot vote for your own answer: 👍 is how members thank each other."


@dataclass(frozen=True, slots=True)
class Vote:
    """A 👍 cast (`added`) or taken back, on `answer`, which now has `votes` of them; where the
    answer's notice is (`channel_id`, `answer.notice_message_id`), to show the new count.
    """

    answer: Answer
    added: bool
    votes: int
    channel_id: int | None


@dataclass(frozen=True, slots=True)
class Standing:
    """A member's place in a server for a period: points, from how many accepted answers and
    votes received, and rank (ties go to whoever reached the points first).
    """

    user_id: int
    points: int
    accepted: int
    votes: int
    rank: int


@dataclass(frozen=True, slots=True)
class Leaderboard:
    """The top of a server for a period (`since` None: all time); `me`, the member who asked,
    when they have points but are not in the top; `ranked`, how many members have points.
    """

    period: Period
    since: datetime | None
    top: tuple[Standing, ...]
    me: Standing | None
    ranked: int


@dataclass(frozen=True, slots=True)
class Profile:
    """What a member did in a server: questions asked, answers given, of which accepted, votes
    received, points and all-time rank (None without points).
    """

    user_id: int
    questions: int
    answers: int
    accepted: int
    votes: int
    points: int
    rank: int | None

    @property
    def empty(self) -> bool:
        """Whether the member never asked nor answered here."""
        return self.questions == 0 and self.answers == 0


def points(accepted: int, votes: int) -> int:
    """The points of so many accepted answers and votes received."""
    return accepted * ACCEPTED_POINTS + votes * VOTE_POINTS


class Recognition(QaStore):
    """Votes, points, the leaderboard and profiles of every server."""

    async def vote(self, guild_id: int, answer_id: int, actor: Actor) -> Vote:
        """Cast a 👍 on an answer, or take it back when the member already gave one.

        One per member and answer (a unique index holds it); never on one's own answer. The
        delete comes first: it takes the write lock (on PostgreSQL, the member's turn on the
        answer), so two clicks at once are taken in turn.
        """
        async with self._db.unit_of_work() as session:
            await take_turn(session, "vote", answer_id, actor.user_id)
            mine = (QaVote.answer_id == answer_id, QaVote.voter_id == actor.user_id)
            taken_back = rowcount(await session.execute(delete(QaVote).where(*mine))) > 0
            row, answer, question = await self._load_answer(session, guild_id, answer_id)
            if row.author_id == actor.user_id:
                raise NotAllowed(OWN_ANSWER)
            if not taken_back:
                session.add(
                    QaVote(
                        guild_id=guild_id,
                        answer_id=answer_id,
                        voter_id=actor.user_id,
                        created_at=self._clock(),
                    )
                )
                await session.flush()
            votes = await self._count_votes(session, [answer_id])
            return Vote(answer, not taken_back, votes.get(answer_id, 0), question.channel_id)

    async def vote_counts(self, answer_ids: Sequence[int]) -> dict[int, int]:
        """How many 👍 each of these answers has (answers without any are left out)."""
        if not answer_ids:
            return {}
        async with self._db.read() as session:
            return await self._count_votes(session, answer_ids)

    async def votes_by(self, user_id: int) -> int:
        """How many 👍 `user_id` gave, in every server (forget-me takes them back)."""
        async with self._db.read() as session:
            count = await session.scalar(
                select(func.count(QaVote.id)).where(QaVote.voter_id == user_id)
            )
        return int(count or 0)

    async def leaderboard(self, guild_id: int, period: Period, user_id: int) -> Leaderboard:
        """The server's top members by points in `period`, and where `user_id` stands."""
        window = PERIODS[period]
        since = None if window is None else self._clock() - window
        async with self._db.read() as session:
            standings = await self._standings(session, guild_id, since)
        top = tuple(standings[:LEADERBOARD_SIZE])
        me = next((s for s in standings[LEADERBOARD_SIZE:] if s.user_id == user_id), None)
        return Leaderboard(period, since, top, me, len(standings))

    async def profile(self, guild_id: int, user_id: int) -> Profile:
        """What `user_id` asked, answered and earned in this server (all time)."""
        async with self._db.read() as session:
            questions = await session.scalar(
                select(func.count(QaQuestion.id)).where(
                    QaQuestion.guild_id == guild_id, QaQuestion.author_id == user_id
                )
            )
            answers = await session.scalar(
                select(func.count(QaAnswer.id)).where(
                    QaAnswer.guild_id == guild_id, QaAnswer.author_id == user_id
                )
            )
            standings = await self._standings(session, guild_id, None)
        mine = next((s for s in standings if s.user_id == user_id), None)
        return Profile(
            user_id=user_id,
            questions=int(questions or 0),
            answers=int(answers or 0),
            accepted=mine.accepted if mine else 0,
            votes=mine.votes if mine else 0,
            points=mine.points if mine else 0,
            rank=mine.rank if mine else None,
        )

    # -- counting ----------------------------------------------------------------------------

    async def _count_votes(
        self, session: AsyncSession, answer_ids: Sequence[int]
    ) -> dict[int, int]:
        rows = await session.execute(
            select(QaVote.answer_id, func.count(QaVote.id))
            .where(QaVote.answer_id.in_(answer_ids))
            .group_by(QaVote.answer_id)
        )
        return {int(answer_id): int(count) for answer_id, count in rows.all()}

    async def _standings(
        self, session: AsyncSession, guild_id: int, since: datetime | None
    ) -> list[Standing]:
        """Every member with points in the server since `since` (None: ever), best first."""
        accepted_at = func.coalesce(QaQuestion.accepted_at, QaAnswer.created_at)
        accepted_when: list[ColumnElement[bool]] = []
        voted_when: list[ColumnElement[bool]] = []
        if since is not None:
            accepted_when.append(QaQuestion.accepted_at >= since)
            voted_when.append(QaVote.created_at >= since)
        accepted = (
            select(
                QaAnswer.author_id.label("user_id"),
                literal(1).label("accepted"),
                literal(0).label("votes"),
                accepted_at.label("at"),
            )
            .join(QaQuestion, QaQuestion.accepted_answer_id == QaAnswer.id)
            .where(
                QaQuestion.guild_id == guild_id,
                QaAnswer.author_id.is_not(None),
                or_(QaQuestion.author_id.is_(None), QaQuestion.author_id != QaAnswer.author_id),
                *accepted_when,
            )
        )
        voted = (
            select(
                QaAnswer.author_id.label("user_id"),
                literal(0).label("accepted"),
                literal(1).label("votes"),
                QaVote.created_at.label("at"),
            )
            .join(QaAnswer, QaAnswer.id == QaVote.answer_id)
            .where(QaVote.guild_id == guild_id, QaAnswer.author_id.is_not(None), *voted_when)
        )
        earned = union_all(accepted, voted).subquery()
        rows = (
            await session.execute(
                select(
                    earned.c.user_id,
                    func.sum(earned.c.accepted),
                    func.sum(earned.c.votes),
                    type_coerce(func.max(earned.c.at), UTCDateTime()),
                ).group_by(earned.c.user_id)
            )
        ).all()
        # Equal points: whoever reached them first (their last point came earlier) goes first.
        ordered = sorted(rows, key=lambda r: (-points(int(r[1]), int(r[2])), r[3], r[0]))
        return [
            Standing(int(user), points(int(a), int(v)), int(a), int(v), rank)
            for rank, (user, a, v, _) in enumerate(ordered, start=1)
        ]
