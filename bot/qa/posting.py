"""Asking, answering, accepting, editing and deleting: one transaction each."""

from __future__ import annotations

from sqlalchemy import delete, update

from bot.core.actor import Actor
from bot.db.models import QaAnswer, QaQuestion
from bot.errors import NotFound
from bot.qa.forum import after_accept, after_answer
from bot.qa.model import Answer, Draft, Posted, Question, Removed
from bot.qa.store import QaStore, notice_of, to_answer, to_question
from bot.qa.validation import make_answer, require_change

ASKER_ONLY = "Only the member who asked (or a moderator) can accept an answer."
OWN_QUESTIONS = "You can edit or delete your own questions only."
OWN_ANSWERS = "You can edit or delete your own answers only."


class Posting(QaStore):
    """Everything that writes questions and answers, each change indexed as it is made."""

    async def ask(
        self, guild_id: int, actor: Actor, draft: Draft, channel_id: int | None = None
    ) -> Question:
        """Store a question (not yet posted: `attach_message` records where it went)."""
        async with self._db.unit_of_work() as session:
            row = await self._write_question(
                session, guild_id, actor.user_id, actor.user_id, draft, channel_id
            )
            await self._reindex(session, [row.id])
            return to_question(row, 0)

    async def record_notice(self, answer_id: int, message_id: int) -> None:
        """Remember the message that told the asker about an answer (it shows the answer)."""
        async with self._db.unit_of_work() as session:
            await session.execute(
                update(QaAnswer)
                .where(QaAnswer.id == answer_id)
                .values(notice_message_id=message_id)
            )

    async def attach_message(self, question_id: int, channel_id: int, message_id: int) -> None:
        """Record the message that shows the question (its buttons are redrawn there)."""
        async with self._db.unit_of_work() as session:
            await session.execute(
                update(QaQuestion)
                .where(QaQuestion.id == question_id)
                .values(channel_id=channel_id, message_id=message_id)
            )

    async def discard(self, question_id: int) -> None:
        """Remove a question that could not be posted, so nothing half-done remains."""
        async with self._db.unit_of_work() as session:
            await session.execute(delete(QaAnswer).where(QaAnswer.question_id == question_id))
            await session.execute(delete(QaQuestion).where(QaQuestion.id == question_id))
            await self._reindex(session, [question_id])

    async def answer(self, guild_id: int, question_id: int, actor: Actor, body: str) -> Posted:
        """Store an answer to a question."""
        cleaned = make_answer(body)
        async with self._db.unit_of_work() as session:
            row, _ = await self._load(session, guild_id, question_id)
            await after_answer(session, row, self._clock())
            answer = await self._write_answer(
                session, guild_id, question_id, actor.user_id, actor.user_id, cleaned
            )
            await self._reindex(session, [question_id])
            _, question = await self._load(session, guild_id, question_id)
            return Posted(question, to_answer(answer, row.accepted_answer_id))

    async def accept(self, guild_id: int, question_id: int, answer_id: int, actor: Actor) -> Posted:
        """Mark an answer as the accepted one: the asker or a moderator only."""
        async with self._db.unit_of_work() as session:
            row, _ = await self._load(session, guild_id, question_id)
            require_change(actor, row.author_id, ASKER_ONLY)
            answer = await session.get(QaAnswer, answer_id)
            if answer is None or answer.question_id != question_id:
                raise NotFound(f"Question #{question_id} has no answer #{answer_id}.")
            row.accepted_answer_id = answer_id
            row.accepted_at = self._clock()
            await after_accept(session, row, row.accepted_at)
            await session.flush()
            _, question = await self._load(session, guild_id, question_id)
            return Posted(question, to_answer(answer, answer_id))

    async def can_accept(self, guild_id: int, question_id: int, actor: Actor) -> Question:
        """The question, when `actor` may accept one of its answers; NotAllowed otherwise."""
        question = await self.get(guild_id, question_id)
        require_change(actor, question.author_id, ASKER_ONLY)
        return question

    async def editable_question(self, guild_id: int, question_id: int, actor: Actor) -> Question:
        """The question, when `actor` may edit or delete it; NotAllowed otherwise."""
        question = await self.get(guild_id, question_id)
        require_change(actor, question.author_id, OWN_QUESTIONS)
        return question

    async def editable_answer(self, guild_id: int, answer_id: int, actor: Actor) -> Answer:
        """The answer, when `actor` may edit or delete it; NotAllowed otherwise."""
        answer = await self.get_answer(guild_id, answer_id)
        require_change(actor, answer.author_id, OWN_ANSWERS)
        return answer

    async def edit_question(
        self, guild_id: int, question_id: int, actor: Actor, draft: Draft
    ) -> Question:
        """Replace a question's text (its author or a moderator); returns it as it is now."""
        async with self._db.unit_of_work() as session:
            row, _ = await self._load(session, guild_id, question_id)
            require_change(actor, row.author_id, OWN_QUESTIONS)
            row.title, row.details, row.tags = draft.title, draft.details, list(draft.tags)
            row.edited_at = self._clock()
            await session.flush()
            await self._reindex(session, [question_id])
            return (await self._load(session, guild_id, question_id))[1]

    async def delete_question(self, guild_id: int, question_id: int, actor: Actor) -> Removed:
        """Delete a question and all its answers; returns it as it was (to remove its message)."""
        async with self._db.unit_of_work() as session:
            row, question = await self._load(session, guild_id, question_id)
            require_change(actor, row.author_id, OWN_QUESTIONS)
            notices = await self._notices(session, QaAnswer.question_id == question_id)
            await session.execute(delete(QaAnswer).where(QaAnswer.question_id == question_id))
            await session.execute(delete(QaQuestion).where(QaQuestion.id == question_id))
            await self._reindex(session, [question_id])
            return Removed(question, tuple(notice_of(p) for p in notices))

    async def edit_answer(self, guild_id: int, answer_id: int, actor: Actor, body: str) -> Posted:
        """Replace an answer's text (its author or a moderator); returns it as it is now."""
        cleaned = make_answer(body)
        async with self._db.unit_of_work() as session:
            row, _, question_row = await self._load_answer(session, guild_id, answer_id)
            require_change(actor, row.author_id, OWN_ANSWERS)
            row.body = cleaned
            row.edited_at = self._clock()
            await session.flush()
            await self._reindex(session, [row.question_id])
            _, question = await self._load(session, guild_id, row.question_id)
            return Posted(question, to_answer(row, question_row.accepted_answer_id))

    async def delete_answer(self, guild_id: int, answer_id: int, actor: Actor) -> Posted:
        """Delete an answer; returns its question as it is now and the answer as it was."""
        async with self._db.unit_of_work() as session:
            row, answer, question_row = await self._load_answer(session, guild_id, answer_id)
            require_change(actor, row.author_id, OWN_ANSWERS)
            if question_row.accepted_answer_id == answer_id:
                question_row.accepted_answer_id = question_row.accepted_at = None
            await session.delete(row)
            await session.flush()
            await self._reindex(session, [row.question_id])
            return Posted((await self._load(session, guild_id, row.question_id))[1], answer)
