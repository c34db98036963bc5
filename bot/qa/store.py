"""What every Q&A use case shares: the database and the clock, rows turned into plain data,
the cooldowns, and the full-text index kept in step with every change.

Every question has one document in the search index (`db.search.questions`) holding its title,
details, tags and the text of all its answers; every change that touches that text rewrites
the document inside the same transaction, so the index is never out of step.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import fields
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import (
    Exists,
    Row,
    ScalarSelect,
    Select,
    and_,
    bindparam,
    exists,
    func,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from bot.core.values import from_row
from bot.db.engine import Database, take_turn
from bot.db.models import QaAnswer, QaMessageLink, QaQuestion
from bot.db.search import QuestionText
from bot.db.types import utcnow
from bot.errors import NotFound, OnCooldown
from bot.qa.model import Answer, Draft, Posted, Question

ASK_COOLDOWN = timedelta(seconds=60)
ANSWER_COOLDOWN = timedelta(seconds=20)


def answer_count() -> ScalarSelect[int]:
    """How many answers the question of the enclosing query has (a correlated subquery)."""
    return (
        select(func.count(QaAnswer.id))
        .where(QaAnswer.question_id == QaQuestion.id)
        .correlate(QaQuestion)
        .scalar_subquery()
    )


def has_answers() -> Exists:
    """Whether the question of the enclosing query has an answer."""
    return exists().where(QaAnswer.question_id == QaQuestion.id)


def to_question(row: QaQuestion, answers: int) -> Question:
    """A question row, with its number of answers, as plain data."""
    return from_row(Question, row, tags=tuple(row.tags), answer_count=int(answers))


@cache
def question_columns() -> tuple[ColumnElement[object], ...]:
    """The columns a `Question` is made of, named as its fields, its answers counted: rows
    read without the ORM (`question_of`), for the lists and searches that only show questions.
    """
    named = [getattr(QaQuestion, f.name) for f in fields(Question) if f.name != "answer_count"]
    return (*named, answer_count().label("answer_count"))


@cache
def questions_read() -> Select[*tuple[Any, ...]]:
    """The columns of `Question`s, from qa_questions: one statement, built once."""
    return select(*question_columns())


@cache
def titles_read() -> Select[int, str]:
    """The number and title of questions (what an autocomplete choice shows): one statement,
    built once.
    """
    return select(QaQuestion.id, QaQuestion.title)


@cache
def questions_by_id() -> Select[*tuple[Any, ...]]:
    """The questions whose ids are the list `ids`: one statement, built and compiled once."""
    return questions_read().where(QaQuestion.id.in_(bindparam("ids", expanding=True)))


def question_of(row: Row[*tuple[Any, ...]]) -> Question:
    """A row of `question_columns` as plain data."""
    values = row._asdict()
    values["tags"] = tuple(values["tags"])
    return Question(**values)


def to_answer(row: QaAnswer, accepted_id: int | None) -> Answer:
    """An answer row as plain data (`accepted_id`: the accepted answer of its question)."""
    return from_row(Answer, row, accepted=row.id == accepted_id)


def notice_of(posted: Posted) -> tuple[int, int]:
    """(channel id, message id) of an answer's notice."""
    assert posted.question.channel_id is not None
    assert posted.answer.notice_message_id is not None
    return posted.question.channel_id, posted.answer.notice_message_id


class QaStore:
    """The peer Q&A of every server, stored in the database: what every use case builds on."""

    def __init__(
        self,
        db: Database,
        *,
        ask_cooldown: timedelta = ASK_COOLDOWN,
        answer_cooldown: timedelta = ANSWER_COOLDOWN,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._db = db
        self.ask_cooldown = ask_cooldown
        self.answer_cooldown = answer_cooldown
        self._clock = clock
        # For the similar-question search: keyword -> (questions holding it, when counted);
        # "" -> how many questions there are.
        self._term_counts: dict[str, tuple[int, float]] = {}

    # -- reading ---------------------------------------------------------------------------

    def _questions(self) -> Select[QaQuestion, int]:
        return select(QaQuestion, answer_count())

    async def _load(
        self, session: AsyncSession, guild_id: int, question_id: int
    ) -> tuple[QaQuestion, Question]:
        found = (
            await session.execute(
                self._questions().where(
                    QaQuestion.id == question_id, QaQuestion.guild_id == guild_id
                )
            )
        ).first()
        if found is None:
            raise NotFound(f"There is no question #{question_id} in this server.")
        return found[0], to_question(found[0], found[1])

    async def _by_ids(self, session: AsyncSession, ids: Sequence[int]) -> list[Question]:
        if not ids:
            return []
        rows = await session.execute(questions_by_id(), {"ids": list(ids)})
        by_id = {row.id: question_of(row) for row in rows}
        return [by_id[i] for i in ids if i in by_id]

    async def _load_answer(
        self, session: AsyncSession, guild_id: int, answer_id: int
    ) -> tuple[QaAnswer, Answer, QaQuestion]:
        row = await session.get(QaAnswer, answer_id)
        if row is None or row.guild_id != guild_id:
            raise NotFound(f"There is no answer #{answer_id} in this server.")
        question = await session.get(QaQuestion, row.question_id)
        assert question is not None  # answers are deleted with their question
        return row, to_answer(row, question.accepted_answer_id), question

    async def _notices(self, session: AsyncSession, condition: ColumnElement[bool]) -> list[Posted]:
        """Answers matching `condition` that have a notice message, with their question."""
        rows = (
            await session.execute(
                select(QaAnswer, QaQuestion)
                .join(QaQuestion, QaQuestion.id == QaAnswer.question_id)
                .where(condition, QaAnswer.notice_message_id.is_not(None))
            )
        ).all()
        return [
            Posted(to_question(question, 0), to_answer(answer, question.accepted_answer_id))
            for answer, question in rows
        ]

    async def get(self, guild_id: int, question_id: int) -> Question:
        """A question of this server; NotFound otherwise."""
        async with self._db.read() as session:
            return (await self._load(session, guild_id, question_id))[1]

    async def answers(self, guild_id: int, question_id: int) -> tuple[Question, list[Answer]]:
        """The question and its answers: the accepted one first, then oldest first."""
        async with self._db.read() as session:
            _, question = await self._load(session, guild_id, question_id)
            rows = (
                await session.scalars(
                    select(QaAnswer)
                    .where(QaAnswer.question_id == question_id)
                    .order_by(QaAnswer.id)
                )
            ).all()
        answers = [to_answer(r, question.accepted_answer_id) for r in rows]
        answers.sort(key=lambda a: not a.accepted)
        return question, answers

    async def get_answer(self, guild_id: int, answer_id: int) -> Answer:
        """An answer given in this server; NotFound otherwise."""
        async with self._db.read() as session:
            found = await self._load_answer(session, guild_id, answer_id)
            return found[1]

    # -- the full-text index ---------------------------------------------------------------

    async def _reindex(self, session: AsyncSession, question_ids: Iterable[int]) -> None:
        """Rewrite the search index of these questions as they are now (gone: removed)."""
        index = self._db.search.questions
        for question_id in question_ids:
            row = await session.get(QaQuestion, question_id)
            if row is None:
                await index.remove(session, [question_id])
                continue
            bodies = (
                await session.scalars(
                    select(QaAnswer.body)
                    .where(QaAnswer.question_id == question_id)
                    .order_by(QaAnswer.id)
                )
            ).all()
            await index.put(
                session,
                QuestionText(question_id, row.title, row.details, tuple(row.tags), tuple(bodies)),
            )

    # -- writing, within the cooldowns -----------------------------------------------------

    async def _write_question(
        self,
        session: AsyncSession,
        guild_id: int,
        author_id: int,
        by: int,
        draft: Draft,
        channel_id: int | None,
    ) -> QaQuestion:
        """Add a question by `author_id`, on `by`'s ask cooldown (who asked, or saved it from
        chat), checked after the write (see `_cooldown`). Not yet indexed.
        """
        row = QaQuestion(
            guild_id=guild_id,
            author_id=author_id,
            channel_id=channel_id,
            title=draft.title,
            details=draft.details,
            tags=list(draft.tags),
            created_at=self._clock(),
        )
        session.add(row)
        await session.flush()
        await self._cooldown(
            session, QaQuestion, guild_id, by, self.ask_cooldown, "ask", written=row.id
        )
        return row

    async def _write_answer(
        self,
        session: AsyncSession,
        guild_id: int,
        question_id: int,
        author_id: int,
        by: int,
        body: str,
    ) -> QaAnswer:
        """Add an answer by `author_id`, on `by`'s answer cooldown (who answered, or saved it
        from chat). Not yet indexed.
        """
        answer = QaAnswer(
            guild_id=guild_id,
            question_id=question_id,
            author_id=author_id,
            body=body,
            created_at=self._clock(),
        )
        session.add(answer)
        await session.flush()
        await self._cooldown(
            session, QaAnswer, guild_id, by, self.answer_cooldown, "answer", written=answer.id
        )
        return answer

    # -- cooldowns -------------------------------------------------------------------------

    async def _cooldown(
        self,
        session: AsyncSession,
        model: type[QaQuestion] | type[QaAnswer],
        guild_id: int,
        user_id: int,
        window: timedelta,
        what: str,
        *,
        written: int | None = None,
    ) -> None:
        """Raise OnCooldown when the member wrote (or saved from chat) a `model` in this server
        within `window`.

        Called with `written` (the row just added, in the same transaction), the check holds
        even for forms sent at the same moment: the write took the database's write lock (on
        PostgreSQL, the member's turn: `take_turn`), so the other writers' rows are all there
        to see, and a refusal rolls the row back.
        """
        if window <= timedelta(0):
            return
        if written is not None:  # the writers of this member's rows, one after the other
            await take_turn(session, "cooldown", model.__tablename__, guild_id, user_id)
        # What the member saved from chat counts as theirs; what others saved from their
        # messages does not (they did not act).
        link = QaMessageLink
        kind = link.answer_id.is_(None) if model is QaQuestion else link.answer_id.is_not(None)
        if model is QaQuestion:
            this_row = and_(link.question_id == QaQuestion.id, link.answer_id.is_(None))
        else:  # along ix_qa_message_links_question too
            this_row = and_(link.question_id == QaAnswer.question_id, link.answer_id == QaAnswer.id)
        saved_by_other = exists().where(
            this_row, or_(link.saved_by_id.is_(None), link.saved_by_id != user_id)
        )
        written_at = await session.scalar(
            select(model.created_at)
            .where(
                model.guild_id == guild_id,
                model.author_id == user_id,
                model.id != written,
                ~saved_by_other,
            )
            .order_by(model.created_at.desc())
            .limit(1)
        )
        saved_at = await session.scalar(
            select(link.created_at)
            .where(link.saved_by_id == user_id, link.guild_id == guild_id, kind)
            .order_by(link.created_at.desc())
            .limit(1)
        )
        last = max((t for t in (written_at, saved_at) if t is not None), default=None)
        if last is None:
            return
        remaining = (last + window - self._clock()).total_seconds()
        if remaining > 0:
            raise OnCooldown(what, remaining)
