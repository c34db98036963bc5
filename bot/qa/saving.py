"""Saving chat messages into the Q&A: a member's message becomes a question, or an answer.

The question or answer is the message author's (they may edit and delete it as their own); the
member who saved it and the message it came from are kept in `qa_message_links`. The saver's
cooldowns apply (what they save counts as what they wrote), inside the same write.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.actor import Actor
from bot.core.text import clean_text
from bot.db.models import QaMessageLink, QaQuestion
from bot.errors import AlreadyExists, BadInput
from bot.qa.forum import after_answer
from bot.qa.model import Draft, Posted, Question
from bot.qa.store import QaStore, to_answer, to_question
from bot.qa.validation import (
    DETAILS_MAX,
    TAG_MAX_CHARS,
    TAG_RE,
    TAGS_MAX,
    TITLE_MAX,
    TITLE_MIN,
    make_answer,
)

# The end of a sentence: . ? or ! followed by a space or the end, or a line break.
SENTENCE_END_RE = re.compile(r"(?<=[.?!])\s+|\n+")
TAG_SOURCE_QUESTIONS = 500  # the newest questions of a server whose tags are suggested
NO_TEXT = (
    "That message has no text to save (only an embed, a sticker or attachments). "
    "Ask it with `/ask` instead."
)


@dataclass(frozen=True, slots=True)
class ChatMessage:
    """The chat message a question or answer is saved from: who wrote it, and where it is."""

    author_id: int
    channel_id: int
    message_id: int


@dataclass(frozen=True, slots=True)
class Prefill:
    """A chat message cut into what the question form shows first (the member may change it)."""

    title: str
    details: str
    tags: tuple[str, ...] = ()


def _clip(text: str, limit: int) -> str:
    """`text` cut at a word to at most `limit` characters, with an ellipsis when cut."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip() + "…"


def prefill(content: str) -> Prefill:
    """Title from the first sentence (several when it is shorter than a title may be), details
    from the rest; a one-sentence message is its own details. BadInput when there is no text.
    """
    text = clean_text(content, multiline=True)
    if not text:
        raise BadInput(NO_TEXT)
    parts = [p for p in SENTENCE_END_RE.split(text) if p.strip()]
    title, used = "", 0
    while used < len(parts) and (not title or len(title) < TITLE_MIN):
        title = f"{title} {parts[used].strip()}".strip()
        used += 1
    rest = text
    for part in parts[:used]:  # the text after the sentences the title took, as written
        rest = rest[rest.find(part) + len(part) :]
    details = rest.strip() if rest.strip() else text
    if len(title) > TITLE_MAX:  # the whole message goes to the details, nothing is lost
        title, details = _clip(title, TITLE_MAX), text
    return Prefill(clean_text(title, multiline=False), _clip(details, DETAILS_MAX))


def words_of(text: str) -> list[str]:
    """The words of `text` that could be tags, normalised like tags, in order, once each."""
    found: list[str] = []
    for word in TAG_RE.findall(unicodedata.normalize("NFKC", text).casefold()):
        word = word.strip(".-")
        if word and len(word) <= TAG_MAX_CHARS and word not in found:
            found.append(word)
    return found


class Saving(QaStore):
    """Questions and answers saved from chat messages, credited to the messages' authors."""

    async def suggested_tags(self, guild_id: int, text: str) -> tuple[str, ...]:
        """Tags the server's recent questions use that `text` names, in the order named."""
        words = words_of(text)
        if not words:
            return ()
        async with self._db.read() as session:
            rows = (
                await session.scalars(
                    select(QaQuestion.tags)
                    .where(QaQuestion.guild_id == guild_id)
                    .order_by(QaQuestion.created_at.desc())
                    .limit(TAG_SOURCE_QUESTIONS)
                )
            ).all()
        known = {tag for tags in rows for tag in tags}
        return tuple(word for word in words if word in known)[:TAGS_MAX]

    async def check_unsaved(
        self, guild_id: int, message: ChatMessage, question_id: int | None = None
    ) -> None:
        """AlreadyExists when the message is already a question (`question_id` None), or
        already an answer to that question (checked again when saving).
        """
        async with self._db.read() as session:
            await self._unsaved(session, guild_id, message, question_id)

    async def _unsaved(
        self, session: AsyncSession, guild_id: int, message: ChatMessage, question_id: int | None
    ) -> None:
        link = QaMessageLink
        query = select(link.question_id, link.answer_id).where(
            link.guild_id == guild_id,
            link.channel_id == message.channel_id,
            link.message_id == message.message_id,
        )
        if question_id is None:
            query = query.where(link.answer_id.is_(None))
        else:
            query = query.where(link.question_id == question_id, link.answer_id.is_not(None))
        found = (await session.execute(query.limit(1))).first()
        if found is None:
            return
        if found.answer_id is None:
            raise AlreadyExists(f"That message is already saved as question #{found.question_id}.")
        raise AlreadyExists(
            f"That message is already saved as answer #{found.answer_id} to question "
            f"#{found.question_id}."
        )

    async def save_question(
        self,
        guild_id: int,
        saver: Actor,
        message: ChatMessage,
        draft: Draft,
        channel_id: int | None = None,
    ) -> Question:
        """Store a question asked by the message's author, saved by `saver` (not yet posted:
        `attach_message` records where it went).
        """
        async with self._db.unit_of_work() as session:
            row = await self._write_question(
                session, guild_id, message.author_id, saver.user_id, draft, channel_id
            )
            await self._unsaved(session, guild_id, message, None)
            session.add(self._link(guild_id, row.id, None, saver, message))
            await self._reindex(session, [row.id])
            return to_question(row, 0)

    async def save_answer(
        self, guild_id: int, question_id: int, saver: Actor, message: ChatMessage, body: str
    ) -> Posted:
        """Store the message as an answer to a question, by its author, saved by `saver`."""
        cleaned = make_answer(body)
        async with self._db.unit_of_work() as session:
            question_row, _ = await self._load(session, guild_id, question_id)
            await after_answer(session, question_row, self._clock())
            answer = await self._write_answer(
                session, guild_id, question_id, message.author_id, saver.user_id, cleaned
            )
            await self._unsaved(session, guild_id, message, question_id)
            session.add(self._link(guild_id, question_id, answer.id, saver, message))
            await self._reindex(session, [question_id])
            _, question = await self._load(session, guild_id, question_id)
            return Posted(question, to_answer(answer, question_row.accepted_answer_id))

    def _link(
        self,
        guild_id: int,
        question_id: int,
        answer_id: int | None,
        saver: Actor,
        message: ChatMessage,
    ) -> QaMessageLink:
        return QaMessageLink(
            guild_id=guild_id,
            question_id=question_id,
            answer_id=answer_id,
            saved_by_id=saver.user_id,
            channel_id=message.channel_id,
            message_id=message.message_id,
            created_at=self._clock(),
        )

    async def saved_from(
        self, guild_id: int, question_id: int, answer_id: int | None = None
    ) -> tuple[int | None, int, int] | None:
        """(saver, channel id, message id) of a question or answer saved from chat, else None."""
        async with self._db.read() as session:
            found = (
                await session.execute(
                    select(
                        QaMessageLink.saved_by_id,
                        QaMessageLink.channel_id,
                        QaMessageLink.message_id,
                    ).where(
                        QaMessageLink.guild_id == guild_id,
                        QaMessageLink.question_id == question_id,
                        QaMessageLink.answer_id.is_(None)
                        if answer_id is None
                        else QaMessageLink.answer_id == answer_id,
                    )
                )
            ).first()
        return None if found is None else (found[0], found[1], found[2])

    async def question_at(
        self, guild_id: int, channel_id: int, message_ids: list[int]
    ) -> Question | None:
        """The question shown by one of these messages, or whose thread `channel_id` is (a
        thread started from a message has that message's id).
        """
        ids = [*message_ids, channel_id]
        async with self._db.read() as session:
            found = (
                await session.execute(
                    self._questions()
                    .where(QaQuestion.guild_id == guild_id, QaQuestion.message_id.in_(ids))
                    .order_by(QaQuestion.id.desc())
                    .limit(1)
                )
            ).first()
        return None if found is None else to_question(found[0], found[1])

    async def open_in_channel(self, guild_id: int, channel_id: int, limit: int) -> list[Question]:
        """The newest questions posted in a channel that have no accepted answer yet (nor were
        closed).
        """
        async with self._db.read() as session:
            rows = (
                await session.execute(
                    self._questions()
                    .where(
                        QaQuestion.guild_id == guild_id,
                        QaQuestion.channel_id == channel_id,
                        QaQuestion.accepted_answer_id.is_(None),
                        QaQuestion.closed_at.is_(None),
                    )
                    .order_by(QaQuestion.created_at.desc(), QaQuestion.id.desc())
                    .limit(limit)
                )
            ).all()
        return [to_question(row, count) for row, count in rows]

    async def saved_by_count(self, user_id: int) -> int:
        """How many questions and answers `user_id` saved from others' messages, everywhere
        (forget-me takes their name off them).
        """
        async with self._db.read() as session:
            count = await session.scalar(
                select(func.count(QaMessageLink.id)).where(QaMessageLink.saved_by_id == user_id)
            )
        return int(count or 0)
