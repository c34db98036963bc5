"""What a member wrote, counted, and forgotten on request (deleted or made anonymous)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.values import rowcount
from bot.db.models import QaAnswer, QaMessageLink, QaQuestion, QaVote
from bot.qa.model import ForgetMode, ForgetReport, Recount
from bot.qa.store import QaStore, notice_of


class Privacy(QaStore):
    """A member's questions and answers in every server, for `/privacy`."""

    async def written_by(self, user_id: int) -> tuple[int, int]:
        """How many questions and answers `user_id` wrote, in every server."""
        async with self._db.read() as session:
            questions = await session.scalar(
                select(func.count(QaQuestion.id)).where(QaQuestion.author_id == user_id)
            )
            answers = await session.scalar(
                select(func.count(QaAnswer.id)).where(QaAnswer.author_id == user_id)
            )
        return int(questions or 0), int(answers or 0)

    async def wipe_traces(self) -> None:
        """Make deleted words leave the disk: the full-text index is rewritten without them
        (freed pages are overwritten: secure_delete) and the write-ahead log is emptied.

        Run it after `forget` has been answered: at 100,000 questions the rewrite takes about
        1.5 s, holding the write lock.
        """
        async with self._db.unit_of_work() as session:
            await self._db.search.questions.purge(session)
        await self._db.checkpoint()

    async def forget(self, user_id: int, mode: ForgetMode) -> ForgetReport:
        """Delete, or detach from the member, everything they wrote in every server, and take
        back their votes (then `wipe_traces` takes the deleted words off the disk).
        """
        async with self._db.unit_of_work() as session:
            own_ids = list(
                (
                    await session.scalars(
                        select(QaQuestion.id).where(QaQuestion.author_id == user_id)
                    )
                ).all()
            )
            answered_ids = list(
                (
                    await session.scalars(
                        select(QaAnswer.question_id).where(QaAnswer.author_id == user_id).distinct()
                    )
                ).all()
            )
            answer_count = int(
                await session.scalar(
                    select(func.count(QaAnswer.id)).where(QaAnswer.author_id == user_id)
                )
                or 0
            )
            voted = list(
                (
                    await session.scalars(
                        select(QaVote.answer_id).where(QaVote.voter_id == user_id)
                    )
                ).all()
            )
            taken_back = await session.execute(delete(QaVote).where(QaVote.voter_id == user_id))
            counted = ForgetReport(mode, len(own_ids), answer_count, votes=rowcount(taken_back))
            saved = (
                await session.execute(
                    select(QaMessageLink.question_id, QaMessageLink.answer_id).where(
                        QaMessageLink.saved_by_id == user_id
                    )
                )
            ).all()
            saved_questions = [q for q, a in saved if a is None]  # redrawn without their name
            saved_answers = [a for _, a in saved if a is not None]
            await session.execute(  # what they saved from others' messages stays, unattributed
                update(QaMessageLink)
                .where(QaMessageLink.saved_by_id == user_id)
                .values(saved_by_id=None)
            )
            own = await self._by_ids(session, own_ids)
            touched = or_(QaAnswer.author_id == user_id, QaAnswer.question_id.in_(own_ids))
            if mode == "anonymise":  # a link to their chat message would name them
                mine = select(QaAnswer.id).where(QaAnswer.author_id == user_id)
                await session.execute(
                    delete(QaMessageLink).where(
                        or_(
                            QaMessageLink.answer_id.in_(mine),
                            (QaMessageLink.question_id.in_(own_ids))
                            & QaMessageLink.answer_id.is_(None),
                        )
                    )
                )
                await session.execute(
                    update(QaQuestion).where(QaQuestion.author_id == user_id).values(author_id=None)
                )
                notice_ids = [p.answer.id for p in await self._notices(session, touched)]
                await session.execute(
                    update(QaAnswer).where(QaAnswer.author_id == user_id).values(author_id=None)
                )
                changed = await self._by_ids(session, _once([*own_ids, *saved_questions]))
                notices = await self._notices(
                    session, QaAnswer.id.in_(_once([*notice_ids, *saved_answers]))
                )
                return replace(
                    counted,
                    changed=tuple(changed),
                    changed_notices=tuple(notices),
                    recounted=await recount(session, voted),
                )
            gone_notices = [notice_of(p) for p in await self._notices(session, touched)]
            mine_answers = select(QaAnswer.id).where(QaAnswer.author_id == user_id)
            await session.execute(
                update(QaQuestion)
                .where(QaQuestion.accepted_answer_id.in_(mine_answers))
                .values(accepted_answer_id=None, accepted_at=None)
            )
            await session.execute(delete(QaAnswer).where(touched))
            await session.execute(delete(QaQuestion).where(QaQuestion.id.in_(own_ids)))
            others = [i for i in answered_ids if i not in set(own_ids)]
            await self._reindex(session, [*own_ids, *others])
            kept = [q for q in saved_questions if q not in set(own_ids)]
            changed = await self._by_ids(session, _once([*others, *kept]))
            notices = await self._notices(session, QaAnswer.id.in_(saved_answers))
            return replace(
                counted,
                deleted=tuple(own),
                changed=tuple(changed),
                changed_notices=tuple(notices),
                deleted_notices=tuple(gone_notices),
                recounted=await recount(session, voted),
            )


def _once(ids: Sequence[int]) -> list[int]:
    """`ids` in order, each once."""
    return list(dict.fromkeys(ids))


async def recount(session: AsyncSession, answer_ids: Sequence[int]) -> tuple[Recount, ...]:
    """The number of 👍 of these answers as it is now, for those that still have a notice."""
    if not answer_ids:
        return ()
    votes = (
        select(func.count(QaVote.id))
        .where(QaVote.answer_id == QaAnswer.id)
        .correlate(QaAnswer)
        .scalar_subquery()
    )
    rows = await session.execute(
        select(QaAnswer.id, votes, QaQuestion.channel_id, QaAnswer.notice_message_id)
        .join(QaQuestion, QaQuestion.id == QaAnswer.question_id)
        .where(
            QaAnswer.id.in_(answer_ids),
            QaAnswer.notice_message_id.is_not(None),
            QaQuestion.channel_id.is_not(None),
        )
    )
    return tuple(
        Recount(int(answer_id), int(count), int(channel), int(notice))
        for answer_id, count, channel, notice in rows.all()
    )
