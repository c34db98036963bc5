"""Peer Q&A: asking, answering, accepting, finding, editing and forgetting, one transaction each.

Every question has one row in the `qa_fts` full-text index (rowid = question id) holding its
title, details, tags and the text of all its answers; every change that touches that text
rewrites the row inside the same transaction, so the index is never out of step.
"""

from __future__ import annotations

import math
import re
import time
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import combinations
from typing import Literal

from sqlalchemy import (
    Exists,
    ScalarSelect,
    Select,
    String,
    delete,
    exists,
    func,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from bot.core.actor import Actor
from bot.core.text import (
    MAX_QUERY_CHARS,
    WORD_RE,
    clean_text,
    fts_query,
    refuse_mass_mentions,
)
from bot.db.engine import Database
from bot.db.models import QaAnswer, QaQuestion, QaSettings
from bot.db.types import utcnow
from bot.errors import BadInput, NotAllowed, NotFound

TITLE_MIN, TITLE_MAX = 10, 150
DETAILS_MAX = 2000
ANSWER_MAX = 2000
TAGS_MAX = 5
TAG_MAX_CHARS = 24
ASK_COOLDOWN = timedelta(seconds=60)
ANSWER_COOLDOWN = timedelta(seconds=20)
SIMILAR_LIMIT = 3
SIMILAR_KEYWORDS = 8
# Searching 100,000 questions must stay fast when a word is in most of them ("django"): bm25 is
# computed for at most this many matches, the newest first. Fewer matches are all ranked (the
# result is exact); more are reported as "1000+", ranked within the newest RANK_WINDOW.
RANK_WINDOW = 1000
TOP_WINDOW = 300  # the best three answered questions shown by the general /search
SUGGEST_WINDOW = 100
SIMILAR_WINDOW = 300
SIMILAR_COMMON_WINDOW = 100
TITLE_WEIGHTS = "8.0, 5.0"  # title, tags (qa_titles_fts: what autocomplete searches)
# /ask looks for questions sharing two of the draft's rarest keywords. A word in more than
# COMMON_SHARE of the questions (and in more than COMMON_MIN) says little about a question:
# pairs of two such words are tried only when the rarer pairs found too little, and only in
# the newest SIMILAR_COMMON_WINDOW matches (they match tens of thousands of rows).
SIMILAR_RARE_KEYWORDS = 4
COMMON_SHARE = 0.02
COMMON_MIN = 200
TERM_STATS_SECONDS = 600.0  # how long a keyword's question count is reused
TERM_STATS_MAX = 20_000
HIGHLIGHT_OPEN, HIGHLIGHT_CLOSE = "\x02", "\x03"
FTS_WEIGHTS = "8.0, 3.0, 5.0, 1.5"  # title, details, tags, answers

Status = Literal["open", "answered", "all"]
ForgetMode = Literal["delete", "anonymise"]

TAG_RE = re.compile(r"[\w+#.\-]+")
TAG_SPLIT_RE = re.compile(r"[\s,;]+")
QUESTION_REF_RE = re.compile(r"#?\s*([0-9]{1,18})(?![0-9])")
NUMBER_RE = re.compile(r"[0-9]{1,18}")
SNIPPET_MARKDOWN_RE = re.compile(r"[`*_~|>#\[\]\\]")
# Words that say nothing about what a question is about; left out of the similarity query.
STOPWORDS = frozenset(
    """a an and any anyone are as at be best but by can could do does doing for from get
    getting has have help how i if in into is it its me my need of on or please question
    should so some than that the their there this to use using want was way we what when
    where which who why will with would you your""".split()  # noqa: SIM905 - reads as prose
)


class OnCooldown(NotAllowed):
    """The member acted moments ago; `retry_after` seconds until they may again."""

    def __init__(self, what: str, retry_after: float) -> None:
        self.retry_after = retry_after
        super().__init__(f"Slow down a little: you can {what} again in {math.ceil(retry_after)} s.")


# -- plain data -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Draft:
    """A question's text, cleaned and validated, not yet stored."""

    title: str
    details: str
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Question:
    id: int
    guild_id: int
    author_id: int | None
    channel_id: int | None
    message_id: int | None
    title: str
    details: str
    tags: tuple[str, ...]
    answer_count: int
    accepted_answer_id: int | None
    created_at: datetime
    edited_at: datetime | None

    @property
    def accepted(self) -> bool:
        return self.accepted_answer_id is not None

    @property
    def status(self) -> str:
        """ "accepted", "answered" (has answers, none accepted) or "open" (no answer yet)."""
        if self.accepted:
            return "accepted"
        return "answered" if self.answer_count else "open"


@dataclass(frozen=True, slots=True)
class Answer:
    id: int
    guild_id: int
    question_id: int
    author_id: int | None
    body: str
    created_at: datetime
    edited_at: datetime | None
    accepted: bool = False
    notice_message_id: int | None = None


@dataclass(frozen=True, slots=True)
class QuestionHit:
    question: Question
    snippet: str
    score: float


@dataclass(frozen=True, slots=True)
class SearchPage:
    query: str
    tag: str | None
    status: Status
    hits: tuple[QuestionHit, ...]
    total: int
    page: int
    pages: int
    more: bool = False  # more than `total` questions match (only the newest were ranked)


@dataclass(frozen=True, slots=True)
class _Found:
    total: int
    page: int
    hits: tuple[QuestionHit, ...]
    more: bool


@dataclass(frozen=True, slots=True)
class QuestionList:
    kind: Literal["mine", "open"]
    questions: tuple[Question, ...]
    total: int
    page: int
    pages: int


@dataclass(frozen=True, slots=True)
class Posted:
    """A stored answer and the question it answers, as it is now."""

    question: Question
    answer: Answer


@dataclass(frozen=True, slots=True)
class Removed:
    """A deleted question, as it was, and the answer notices (channel, message) to remove."""

    question: Question
    notices: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True, slots=True)
class ForgetReport:
    """What forgetting a member changed, so their Discord messages can follow."""

    mode: ForgetMode
    questions: int = 0
    answers: int = 0
    deleted: tuple[Question, ...] = ()  # question messages to delete
    changed: tuple[Question, ...] = ()  # question messages to redraw
    deleted_notices: tuple[tuple[int, int], ...] = ()  # (channel id, message id)
    changed_notices: tuple[Posted, ...] = ()  # answer notices to redraw


# -- validation (pure) ------------------------------------------------------------------------


def parse_tags(raw: str | None) -> tuple[str, ...]:
    """`"Django, #celery  c++"` -> ("django", "celery", "c++"); at most five, each a word."""
    if raw is None:
        return ()
    cleaned = clean_text(raw, multiline=False)
    refuse_mass_mentions(cleaned, "tags")
    tags: list[str] = []
    for part in TAG_SPLIT_RE.split(cleaned):
        tag = unicodedata.normalize("NFKC", part).casefold().lstrip("#")
        if not tag:
            continue
        if len(tag) > TAG_MAX_CHARS or not TAG_RE.fullmatch(tag):
            shown = part[: TAG_MAX_CHARS + 1].replace("`", "'")
            raise BadInput(
                f"`{shown}` is not a tag: use words of up to {TAG_MAX_CHARS} letters, digits or "
                "`+#.-`, separated by commas or spaces (e.g. `django, celery, c++`)."
            )
        if tag not in tags:
            tags.append(tag)
    if len(tags) > TAGS_MAX:
        raise BadInput(f"Use at most {TAGS_MAX} tags (you gave {len(tags)}).")
    return tuple(tags)


def parse_tag(raw: str | None) -> str | None:
    """One tag for a filter, normalised like stored tags (None when empty)."""
    tags = parse_tags(raw)
    if len(tags) > 1:
        raise BadInput("Filter by one tag at a time.")
    return tags[0] if tags else None


def make_draft(title: str, details: str, tags: str | None = None) -> Draft:
    """Clean and validate a question; raise BadInput naming what to fix."""
    clean_title = clean_text(title, multiline=False)
    clean_details = clean_text(details, multiline=True)
    refuse_mass_mentions(clean_title, "title")
    refuse_mass_mentions(clean_details, "details")
    visible = sum(1 for ch in clean_title if unicodedata.category(ch) != "Cf")
    if visible < TITLE_MIN:  # zero-width characters do not make a title longer
        raise BadInput(
            f"Make the title a short sentence of at least {TITLE_MIN} characters "
            f"(it has {visible}), e.g. *How do I retry a failed Celery task?*"
        )
    if len(clean_title) > TITLE_MAX:
        raise BadInput(
            f"Keep the title under {TITLE_MAX} characters (it has {len(clean_title)}); "
            "put the rest in the details."
        )
    if not clean_details:
        raise BadInput("Add some details: what you tried, what happened, what you expected.")
    if len(clean_details) > DETAILS_MAX:
        raise BadInput(
            f"The details can be at most {DETAILS_MAX} characters (they have "
            f"{len(clean_details)}); link a paste for long logs."
        )
    return Draft(clean_title, clean_details, parse_tags(tags))


def make_answer(body: str) -> str:
    """Clean and validate an answer's text."""
    cleaned = clean_text(body, multiline=True)
    refuse_mass_mentions(cleaned, "answer")
    if not cleaned:
        raise BadInput("Your answer is empty: write what would help.")
    if len(cleaned) > ANSWER_MAX:
        raise BadInput(
            f"An answer can be at most {ANSWER_MAX} characters (yours has {len(cleaned)})."
        )
    return cleaned


def parse_ref(raw: str, what: str = "question") -> int:
    """The number of a question or answer: `"12"`, `"#12"` or an autocomplete value -> 12."""
    match = QUESTION_REF_RE.match(raw.strip())
    if match is None:
        article = "an" if what[:1] in {"a", "e", "i", "o", "u"} else "a"
        raise BadInput(f"Pick {article} {what} from the list, or type its number (like `12`).")
    return int(match.group(1))


def may_change(actor: Actor, author_id: int | None) -> bool:
    """Authors may change what they wrote; moderators anything (anonymous text: only them)."""
    return actor.is_moderator or (author_id is not None and author_id == actor.user_id)


def similarity_keywords(draft: Draft) -> list[str]:
    """The words of a draft's title and tags that say what it is about, in order."""
    keywords: list[str] = []
    for word in WORD_RE.findall(
        unicodedata.normalize("NFKC", f"{draft.title} {' '.join(draft.tags)}")
    ):
        folded = word.casefold()
        if len(folded) < 2 or folded in STOPWORDS or folded in keywords:
            continue
        keywords.append(folded)
        if len(keywords) >= SIMILAR_KEYWORDS:
            break
    return keywords


def pairs_query(keywords: Sequence[str], common: frozenset[str] = frozenset()) -> str | None:
    """An FTS5 expression matching questions that share two of `keywords` (the one, if there
    is only one), looking at titles, details and tags; two `common` words are not a match.
    """
    if not keywords:
        return None
    quoted = {word: f'"{word}"' for word in keywords}  # \w+ words: never a quote or operator
    if len(keywords) == 1:
        expression = quoted[keywords[0]]
    else:
        pairs = [
            f"({quoted[a]} {quoted[b]})"
            for a, b in combinations(keywords, 2)
            if a not in common or b not in common
        ]
        if not pairs:
            return None
        expression = " OR ".join(pairs)
    return f"{{title details tags}} : ({expression})"


def similarity_query(draft: Draft) -> str | None:
    """An FTS5 expression matching questions that share two keywords with `draft` (one if it
    has only one), looking at titles, details and tags.
    """
    return pairs_query(similarity_keywords(draft))


def prefix_query(raw: str) -> str | None:
    """An FTS5 expression for text being typed: the last word may be unfinished."""
    expression = fts_query(raw)
    if expression is None:
        return None
    return f"{expression}*" if not raw[-1:].isspace() else expression


def clean_snippet(raw: str) -> str:
    """FTS5 snippet -> one line of safe Markdown with the matched words in bold."""
    flat = " ".join(raw.split())
    flat = SNIPPET_MARKDOWN_RE.sub("", flat).replace("@", "@\u200b")
    return flat.replace(HIGHLIGHT_OPEN, "**").replace(HIGHLIGHT_CLOSE, "**")


# -- the service ------------------------------------------------------------------------------


def _answer_count() -> ScalarSelect[int]:
    return (
        select(func.count(QaAnswer.id))
        .where(QaAnswer.question_id == QaQuestion.id)
        .correlate(QaQuestion)
        .scalar_subquery()
    )


def _has_answers() -> Exists:
    return exists().where(QaAnswer.question_id == QaQuestion.id)


def _question(row: QaQuestion, answers: int) -> Question:
    return Question(
        id=row.id,
        guild_id=row.guild_id,
        author_id=row.author_id,
        channel_id=row.channel_id,
        message_id=row.message_id,
        title=row.title,
        details=row.details,
        tags=tuple(row.tags),
        answer_count=int(answers),
        accepted_answer_id=row.accepted_answer_id,
        created_at=row.created_at,
        edited_at=row.edited_at,
    )


def _answer(row: QaAnswer, accepted_id: int | None) -> Answer:
    return Answer(
        id=row.id,
        guild_id=row.guild_id,
        question_id=row.question_id,
        author_id=row.author_id,
        body=row.body,
        created_at=row.created_at,
        edited_at=row.edited_at,
        accepted=row.id == accepted_id,
        notice_message_id=row.notice_message_id,
    )


def _where(posted: Posted) -> tuple[int, int]:
    """(channel id, message id) of an answer's notice."""
    assert posted.question.channel_id is not None
    assert posted.answer.notice_message_id is not None
    return posted.question.channel_id, posted.answer.notice_message_id


def _pages(total: int, per_page: int, page: int) -> tuple[int, int]:
    pages = max(1, math.ceil(total / per_page))
    return pages, min(max(page, 1), pages)


class QaService:
    """The peer Q&A of every server, stored in the database."""

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
        # keyword -> (questions containing it, when counted); "" -> every question
        self._term_counts: dict[str, tuple[int, float]] = {}

    # -- settings --------------------------------------------------------------------------

    async def set_channel(self, guild_id: int, channel_id: int | None, *, can_manage: bool) -> None:
        """Choose where questions are posted (None: where they are asked). Manage Server only."""
        if not can_manage:
            raise NotAllowed("Only members with the **Manage Server** permission can do that.")
        async with self._db.unit_of_work() as session:
            row = await session.get(QaSettings, guild_id)
            if row is None:
                session.add(QaSettings(guild_id=guild_id, channel_id=channel_id))
            else:
                row.channel_id = channel_id

    async def channel_for(self, guild_id: int) -> int | None:
        async with self._db.read() as session:
            return await session.scalar(
                select(QaSettings.channel_id).where(QaSettings.guild_id == guild_id)
            )

    # -- cooldowns -------------------------------------------------------------------------

    async def _cooldown(
        self,
        session: AsyncSession,
        model: type[QaQuestion] | type[QaAnswer],
        guild_id: int,
        user_id: int,
        window: timedelta,
        what: str,
    ) -> None:
        if window <= timedelta(0):
            return
        last = await session.scalar(
            select(model.created_at)
            .where(model.guild_id == guild_id, model.author_id == user_id)
            .order_by(model.created_at.desc())
            .limit(1)
        )
        if last is None:
            return
        remaining = (last + window - self._clock()).total_seconds()
        if remaining > 0:
            raise OnCooldown(what, remaining)

    async def check_ask_cooldown(self, guild_id: int, user_id: int) -> None:
        """Raise OnCooldown when the member asked moments ago (checked again when storing)."""
        async with self._db.read() as session:
            await self._cooldown(session, QaQuestion, guild_id, user_id, self.ask_cooldown, "ask")

    async def check_answer_cooldown(self, guild_id: int, user_id: int) -> None:
        async with self._db.read() as session:
            await self._cooldown(
                session, QaAnswer, guild_id, user_id, self.answer_cooldown, "answer"
            )

    # -- full-text index -------------------------------------------------------------------

    async def _reindex(self, session: AsyncSession, question_ids: Iterable[int]) -> None:
        for question_id in question_ids:
            await session.execute(text("DELETE FROM qa_fts WHERE rowid = :id"), {"id": question_id})
            await session.execute(
                text("DELETE FROM qa_titles_fts WHERE rowid = :id"), {"id": question_id}
            )
            row = await session.get(QaQuestion, question_id)
            if row is None:
                continue
            await session.execute(
                text("INSERT INTO qa_titles_fts (rowid, title, tags) VALUES (:id, :title, :tags)"),
                {"id": question_id, "title": row.title, "tags": " ".join(row.tags)},
            )
            bodies = (
                await session.scalars(
                    select(QaAnswer.body)
                    .where(QaAnswer.question_id == question_id)
                    .order_by(QaAnswer.id)
                )
            ).all()
            await session.execute(
                text(
                    "INSERT INTO qa_fts (rowid, title, details, tags, answers) "
                    "VALUES (:id, :title, :details, :tags, :answers)"
                ),
                {
                    "id": question_id,
                    "title": row.title,
                    "details": row.details,
                    "tags": " ".join(row.tags),
                    "answers": "\n\n".join(bodies),
                },
            )

    # -- reading ---------------------------------------------------------------------------

    def _questions(self) -> Select[QaQuestion, int]:
        return select(QaQuestion, _answer_count())

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
        return found[0], _question(found[0], found[1])

    async def _by_ids(self, session: AsyncSession, ids: Sequence[int]) -> list[Question]:
        if not ids:
            return []
        rows = (await session.execute(self._questions().where(QaQuestion.id.in_(ids)))).all()
        by_id = {row.id: _question(row, count) for row, count in rows}
        return [by_id[i] for i in ids if i in by_id]

    async def get(self, guild_id: int, question_id: int) -> Question:
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
        answers = [_answer(r, question.accepted_answer_id) for r in rows]
        answers.sort(key=lambda a: not a.accepted)
        return question, answers

    async def get_answer(self, guild_id: int, answer_id: int) -> Answer:
        async with self._db.read() as session:
            found = await self._load_answer(session, guild_id, answer_id)
            return found[1]

    async def _load_answer(
        self, session: AsyncSession, guild_id: int, answer_id: int
    ) -> tuple[QaAnswer, Answer, QaQuestion]:
        row = await session.get(QaAnswer, answer_id)
        if row is None or row.guild_id != guild_id:
            raise NotFound(f"There is no answer #{answer_id} in this server.")
        question = await session.get(QaQuestion, row.question_id)
        assert question is not None  # answers are deleted with their question
        return row, _answer(row, question.accepted_answer_id), question

    async def suggest(
        self, guild_id: int, typed: str, *, unaccepted_only: bool = False, limit: int = 25
    ) -> list[Question]:
        """Autocomplete: questions whose number or words start like what was typed."""
        typed = clean_text(typed, multiline=False)[:MAX_QUERY_CHARS]
        conditions = [QaQuestion.guild_id == guild_id]
        if unaccepted_only:
            conditions.append(QaQuestion.accepted_answer_id.is_(None))
        async with self._db.read() as session:
            if not typed:
                # What most needs an answer: unanswered first, then the newest. Two queries
                # that each walk the (guild, created) index newest first and stop early.
                found: list[Question] = []
                for answered in (False, True):
                    has_answers = _has_answers() if answered else ~_has_answers()
                    query = (
                        self._questions()
                        .where(*conditions, has_answers)
                        .order_by(QaQuestion.created_at.desc(), QaQuestion.id.desc())
                        .limit(limit - len(found))
                    )
                    rows = (await session.execute(query)).all()
                    found += [_question(r, c) for r, c in rows]
                    if len(found) >= limit:
                        break
                return found
            number = typed.lstrip("#").strip()
            if NUMBER_RE.fullmatch(number):
                query = (
                    self._questions()
                    .where(*conditions, func.cast(QaQuestion.id, String).like(f"{int(number)}%"))
                    .order_by(func.length(func.cast(QaQuestion.id, String)), QaQuestion.id)
                    .limit(limit)
                )
                return [_question(r, c) for r, c in (await session.execute(query)).all()]
            expression = prefix_query(typed)
            if expression is None:
                return []
            # Titles and tags only (what the choices show), in their own small index with
            # prefix indexes; the newest SUGGEST_WINDOW matches are ranked.
            filters = " AND q.accepted_answer_id IS NULL" if unaccepted_only else ""
            base = (
                "FROM qa_titles_fts f CROSS JOIN qa_questions q ON q.id = f.rowid "
                f"WHERE qa_titles_fts MATCH :q AND q.guild_id = :guild{filters}"
            )
            matches = await session.execute(
                text(
                    f"SELECT f.rowid AS id, bm25(qa_titles_fts, {TITLE_WEIGHTS}) AS score "
                    f"{base} ORDER BY f.rowid DESC LIMIT :window"
                ),
                {"q": expression, "guild": guild_id, "window": SUGGEST_WINDOW},
            )
            ranked = sorted(matches, key=lambda r: (float(r.score), -int(r.id)))
            return await self._by_ids(session, [int(r.id) for r in ranked[:limit]])

    async def suggest_answers(
        self, guild_id: int, actor: Actor, typed: str, limit: int = 25
    ) -> list[Answer]:
        """Autocomplete: answers `actor` may change (moderators: any), newest first."""
        typed = clean_text(typed, multiline=False)[:MAX_QUERY_CHARS]
        query = select(QaAnswer).where(QaAnswer.guild_id == guild_id)
        if not actor.is_moderator:
            query = query.where(QaAnswer.author_id == actor.user_id)
        number = typed.lstrip("#").strip()
        if NUMBER_RE.fullmatch(number):
            query = query.where(func.cast(QaAnswer.id, String).like(f"{int(number)}%"))
        elif typed:
            query = query.where(QaAnswer.body.contains(typed, autoescape=True))
        async with self._db.read() as session:
            rows = (await session.scalars(query.order_by(QaAnswer.id.desc()).limit(limit))).all()
        return [_answer(row, None) for row in rows]

    async def mine(
        self, guild_id: int, user_id: int, page: int = 1, per_page: int = 10
    ) -> QuestionList:
        """The member's questions in this server, newest first."""
        where = (QaQuestion.guild_id == guild_id, QaQuestion.author_id == user_id)
        return await self._list("mine", where, page, per_page, newest_first=True)

    async def unanswered(self, guild_id: int, page: int = 1, per_page: int = 10) -> QuestionList:
        """Questions nobody has answered yet, oldest first."""
        where = (QaQuestion.guild_id == guild_id, ~_has_answers())
        return await self._list("open", where, page, per_page, newest_first=False)

    async def _list(
        self,
        kind: Literal["mine", "open"],
        where: tuple[ColumnElement[bool], ...],
        page: int,
        per_page: int,
        *,
        newest_first: bool,
    ) -> QuestionList:
        async with self._db.read() as session:
            total = await session.scalar(select(func.count(QaQuestion.id)).where(*where))
            pages, page = _pages(int(total or 0), per_page, page)
            rows = (
                await session.execute(
                    self._questions()
                    .where(*where)
                    .order_by(QaQuestion.id.desc() if newest_first else QaQuestion.id)
                    .limit(per_page)
                    .offset((page - 1) * per_page)
                )
            ).all()
        questions = tuple(_question(r, c) for r, c in rows)
        return QuestionList(kind, questions, int(total or 0), page, pages)

    # -- search ----------------------------------------------------------------------------

    async def search(
        self,
        guild_id: int,
        query: str,
        *,
        tag: str | None = None,
        status: Status = "all",
        page: int = 1,
        per_page: int = 5,
    ) -> SearchPage:
        """bm25-ranked search over questions and their answers; any free text is safe."""
        query = clean_text(query, multiline=False)
        tag = parse_tag(tag)
        expression = fts_query(query)
        if expression is None:
            raise BadInput("Type a few words to search for, e.g. `celery retries`.")
        found = await self._search(guild_id, expression, tag, status, page, per_page)
        if found.total == 0 and " " in expression:
            any_expression = fts_query(query, any_term=True)
            assert any_expression is not None
            found = await self._search(guild_id, any_expression, tag, status, page, per_page)
        pages, page = _pages(found.total, per_page, found.page)
        shown = " ".join(query.split())[:100]
        return SearchPage(shown, tag, status, found.hits, found.total, page, pages, found.more)

    async def answered_matches(
        self, guild_id: int, query: str, limit: int = 3
    ) -> list[QuestionHit]:
        """The best answered questions for `query` (for the general /search); [] if none."""
        query = clean_text(query, multiline=False)
        expression = fts_query(query)
        if expression is None:
            return []
        hits = await self._top(guild_id, expression, limit)
        if not hits and " " in expression:
            any_expression = fts_query(query, any_term=True)
            assert any_expression is not None
            hits = await self._top(guild_id, any_expression, limit)
        return hits

    async def similarity_expressions(self, draft: Draft) -> tuple[str, str | None, str] | None:
        """FTS5 expressions for questions sharing two of the draft's rarest keywords: the pairs
        with a distinctive word, the pairs of two common words (None if there are none), and
        any of the keywords (to highlight them).
        """
        keywords = similarity_keywords(draft)
        if not keywords:
            return None
        async with self._db.read() as session:
            counts = await self._question_counts(session, keywords)
        common_above = max(COMMON_MIN, COMMON_SHARE * counts[""])
        rarest = sorted(keywords, key=lambda word: counts[word])[:SIMILAR_RARE_KEYWORDS]
        chosen = [word for word in keywords if word in rarest]  # in the draft's order
        common = frozenset(w for w in chosen if counts[w] > common_above)
        distinctive = pairs_query(chosen, common)
        every_pair = pairs_query(chosen)
        assert every_pair is not None
        highlight = "{title details tags} : (" + " OR ".join(f'"{w}"' for w in chosen) + ")"
        if distinctive is None:
            return every_pair, None, highlight
        return distinctive, (every_pair if every_pair != distinctive else None), highlight

    async def similar(
        self, guild_id: int, draft: Draft, limit: int = SIMILAR_LIMIT
    ) -> list[QuestionHit]:
        """Answered questions that share two of the draft's rarest keywords, best first."""
        expressions = await self.similarity_expressions(draft)
        if expressions is None:
            return []
        distinctive, common_pairs, highlight = expressions
        found = await self._search(
            guild_id,
            distinctive,
            None,
            "answered",
            1,
            limit,
            window=SIMILAR_WINDOW,
            snippet_expression=highlight,
        )
        hits = list(found.hits)
        if len(hits) < limit and common_pairs is not None:
            more = await self._search(
                guild_id,
                common_pairs,
                None,
                "answered",
                1,
                limit,
                window=SIMILAR_COMMON_WINDOW,
                snippet_expression=highlight,
            )
            seen = {h.question.id for h in hits}
            hits += [h for h in more.hits if h.question.id not in seen][: limit - len(hits)]
        return hits

    async def _question_counts(self, session: AsyncSession, words: Sequence[str]) -> dict[str, int]:
        """How many questions (of every server) contain each word, and ("") how many there are;
        counted by the full-text index and kept for a while (they change slowly).
        """
        now = time.monotonic()
        out: dict[str, int] = {}
        for word in ["", *words]:
            known = self._term_counts.get(word)
            if known is not None and now - known[1] < TERM_STATS_SECONDS:
                out[word] = known[0]
                continue
            if word:
                counted = await session.scalar(
                    text("SELECT count(*) FROM qa_fts WHERE qa_fts MATCH :q"), {"q": f'"{word}"'}
                )
            else:
                counted = await session.scalar(select(func.max(QaQuestion.id)))
            out[word] = int(counted or 0)
            if len(self._term_counts) >= TERM_STATS_MAX:
                self._term_counts.clear()
            self._term_counts[word] = (out[word], now)
        return out

    async def _top(self, guild_id: int, expression: str, limit: int) -> list[QuestionHit]:
        """The best answered questions for `expression`."""
        found = await self._search(
            guild_id, expression, None, "answered", 1, limit, window=TOP_WINDOW
        )
        return list(found.hits)

    async def _ranked(
        self,
        session: AsyncSession,
        expression: str,
        guild_id: int,
        filters: str,
        params: dict[str, object],
        window: int,
        per_page: int,
        page: int,
    ) -> tuple[list[tuple[int, float]], int, int]:
        """One page of (question id, bm25 score) among the newest `window` matches, best first,
        how many matches that window holds, and the page (clamped to the last one).

        Walking the index newest first lets SQLite stop after `window` matches; ranking every
        match instead costs ~50 ms for a word found in 60,000 questions. The window is ranked
        and counted in SQL: only the page comes back.
        """
        base = (
            "FROM qa_fts f CROSS JOIN qa_questions q ON q.id = f.rowid "
            f"WHERE qa_fts MATCH :q AND q.guild_id = :guild{filters}"
        )
        newest = (
            f"SELECT f.rowid AS id, bm25(qa_fts, {FTS_WEIGHTS}) AS score {base} "
            "ORDER BY f.rowid DESC LIMIT :window"
        )
        window_rows = f"FROM ({newest})"
        values = {**params, "q": expression, "guild": guild_id, "window": window}
        for _ in range(2):
            rows = (
                await session.execute(
                    text(
                        f"SELECT id, score, count(*) OVER () AS total {window_rows} "
                        "ORDER BY score, id DESC LIMIT :limit OFFSET :offset"
                    ),
                    {**values, "limit": per_page, "offset": (page - 1) * per_page},
                )
            ).all()
            if rows or page == 1:
                break
            # Past the last page: count the matches and show the last page instead.
            total = await session.scalar(text(f"SELECT count(*) {window_rows}"), values)
            page = _pages(int(total or 0), per_page, page)[1]
        total = int(rows[0].total) if rows else 0
        return [(int(r.id), float(r.score)) for r in rows], total, page

    async def _search(
        self,
        guild_id: int,
        expression: str,
        tag: str | None,
        status: Status,
        page: int,
        per_page: int,
        *,
        window: int | None = None,
        snippet_expression: str | None = None,
    ) -> _Found:
        """One page of matches (clamped to the last page), with snippets of the words matched
        (or of those `snippet_expression` matches).
        """
        filters = ""
        params: dict[str, object] = {}
        if tag is not None:
            filters += " AND EXISTS (SELECT 1 FROM json_each(q.tags) t WHERE t.value = :tag)"
            params["tag"] = tag
        answered = "EXISTS (SELECT 1 FROM qa_answers a WHERE a.question_id = q.id)"
        if status == "answered":
            filters += f" AND {answered}"
        elif status == "open":
            filters += f" AND NOT {answered}"
        window = window or RANK_WINDOW
        async with self._db.read() as session:
            shown, total, page = await self._ranked(
                session, expression, guild_id, filters, params, window, per_page, max(page, 1)
            )
            # The page's questions, answer counts and snippets in one statement.
            snippet = text(
                "(SELECT snippet(qa_fts, -1, :open, :close, '…', 16) FROM qa_fts "
                "WHERE qa_fts MATCH :snip AND qa_fts.rowid = qa_questions.id)"
            )
            rows = (
                await session.execute(
                    select(QaQuestion, _answer_count(), snippet).where(
                        QaQuestion.id.in_([i for i, _ in shown] or [-1])
                    ),
                    {
                        "snip": snippet_expression or expression,
                        "open": HIGHLIGHT_OPEN,
                        "close": HIGHLIGHT_CLOSE,
                    },
                )
            ).all()
            found = {row[0].id: (_question(row[0], row[1]), row[2]) for row in rows}
        hits = [
            QuestionHit(found[i][0], clean_snippet(found[i][1] or ""), score)
            for i, score in shown
            if i in found
        ]
        return _Found(total, page, tuple(hits), total >= window)

    # -- writing ---------------------------------------------------------------------------

    async def ask(
        self, guild_id: int, actor: Actor, draft: Draft, channel_id: int | None = None
    ) -> Question:
        """Store a question (not yet posted: `attach_message` records where it went)."""
        async with self._db.unit_of_work() as session:
            await self._cooldown(
                session, QaQuestion, guild_id, actor.user_id, self.ask_cooldown, "ask"
            )
            row = QaQuestion(
                guild_id=guild_id,
                author_id=actor.user_id,
                channel_id=channel_id,
                title=draft.title,
                details=draft.details,
                tags=list(draft.tags),
                created_at=self._clock(),
            )
            session.add(row)
            await session.flush()
            await self._reindex(session, [row.id])
            return _question(row, 0)

    async def record_notice(self, answer_id: int, message_id: int) -> None:
        """Remember the message that told the asker about an answer (it shows the answer)."""
        async with self._db.unit_of_work() as session:
            await session.execute(
                update(QaAnswer)
                .where(QaAnswer.id == answer_id)
                .values(notice_message_id=message_id)
            )

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
            Posted(_question(question, 0), _answer(answer, question.accepted_answer_id))
            for answer, question in rows
        ]

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
            await self._cooldown(
                session, QaAnswer, guild_id, actor.user_id, self.answer_cooldown, "answer"
            )
            answer = QaAnswer(
                guild_id=guild_id,
                question_id=question_id,
                author_id=actor.user_id,
                body=cleaned,
                created_at=self._clock(),
            )
            session.add(answer)
            await session.flush()
            await self._reindex(session, [question_id])
            _, question = await self._load(session, guild_id, question_id)
            return Posted(question, _answer(answer, row.accepted_answer_id))

    async def accept(self, guild_id: int, question_id: int, answer_id: int, actor: Actor) -> Posted:
        """Mark an answer as the accepted one: the asker or a moderator only."""
        async with self._db.unit_of_work() as session:
            row, _ = await self._load(session, guild_id, question_id)
            if not may_change(actor, row.author_id):
                raise NotAllowed("Only the member who asked (or a moderator) can accept an answer.")
            answer = await session.get(QaAnswer, answer_id)
            if answer is None or answer.question_id != question_id:
                raise NotFound(f"Question #{question_id} has no answer #{answer_id}.")
            row.accepted_answer_id = answer_id
            await session.flush()
            _, question = await self._load(session, guild_id, question_id)
            return Posted(question, _answer(answer, answer_id))

    async def can_accept(self, guild_id: int, question_id: int, actor: Actor) -> Question:
        """The question, when `actor` may accept one of its answers; NotAllowed otherwise."""
        question = await self.get(guild_id, question_id)
        if not may_change(actor, question.author_id):
            raise NotAllowed("Only the member who asked (or a moderator) can accept an answer.")
        return question

    async def editable_question(self, guild_id: int, question_id: int, actor: Actor) -> Question:
        question = await self.get(guild_id, question_id)
        if not may_change(actor, question.author_id):
            raise NotAllowed("You can edit or delete your own questions only.")
        return question

    async def editable_answer(self, guild_id: int, answer_id: int, actor: Actor) -> Answer:
        answer = await self.get_answer(guild_id, answer_id)
        if not may_change(actor, answer.author_id):
            raise NotAllowed("You can edit or delete your own answers only.")
        return answer

    async def edit_question(
        self, guild_id: int, question_id: int, actor: Actor, draft: Draft
    ) -> Question:
        async with self._db.unit_of_work() as session:
            row, _ = await self._load(session, guild_id, question_id)
            if not may_change(actor, row.author_id):
                raise NotAllowed("You can edit or delete your own questions only.")
            row.title, row.details, row.tags = draft.title, draft.details, list(draft.tags)
            row.edited_at = self._clock()
            await session.flush()
            await self._reindex(session, [question_id])
            return (await self._load(session, guild_id, question_id))[1]

    async def delete_question(self, guild_id: int, question_id: int, actor: Actor) -> Removed:
        """Delete a question and all its answers; returns it as it was (to remove its message)."""
        async with self._db.unit_of_work() as session:
            row, question = await self._load(session, guild_id, question_id)
            if not may_change(actor, row.author_id):
                raise NotAllowed("You can edit or delete your own questions only.")
            notices = await self._notices(session, QaAnswer.question_id == question_id)
            await session.execute(delete(QaAnswer).where(QaAnswer.question_id == question_id))
            await session.execute(delete(QaQuestion).where(QaQuestion.id == question_id))
            await self._reindex(session, [question_id])
            return Removed(question, tuple(_where(p) for p in notices))

    async def edit_answer(self, guild_id: int, answer_id: int, actor: Actor, body: str) -> Posted:
        cleaned = make_answer(body)
        async with self._db.unit_of_work() as session:
            row, _, question_row = await self._load_answer(session, guild_id, answer_id)
            if not may_change(actor, row.author_id):
                raise NotAllowed("You can edit or delete your own answers only.")
            row.body = cleaned
            row.edited_at = self._clock()
            await session.flush()
            await self._reindex(session, [row.question_id])
            _, question = await self._load(session, guild_id, row.question_id)
            return Posted(question, _answer(row, question_row.accepted_answer_id))

    async def delete_answer(self, guild_id: int, answer_id: int, actor: Actor) -> Posted:
        """Delete an answer; returns its question as it is now and the answer as it was."""
        async with self._db.unit_of_work() as session:
            row, answer, question_row = await self._load_answer(session, guild_id, answer_id)
            if not may_change(actor, row.author_id):
                raise NotAllowed("You can edit or delete your own answers only.")
            if question_row.accepted_answer_id == answer_id:
                question_row.accepted_answer_id = None
            await session.delete(row)
            await session.flush()
            await self._reindex(session, [row.question_id])
            return Posted((await self._load(session, guild_id, row.question_id))[1], answer)

    # -- privacy ---------------------------------------------------------------------------

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

    async def forget(self, user_id: int, mode: ForgetMode) -> ForgetReport:
        """Delete, or detach from the member, everything they wrote in every server."""
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
            own = await self._by_ids(session, own_ids)
            touched = or_(QaAnswer.author_id == user_id, QaAnswer.question_id.in_(own_ids))
            if mode == "anonymise":
                await session.execute(
                    update(QaQuestion).where(QaQuestion.author_id == user_id).values(author_id=None)
                )
                notice_ids = [p.answer.id for p in await self._notices(session, touched)]
                await session.execute(
                    update(QaAnswer).where(QaAnswer.author_id == user_id).values(author_id=None)
                )
                changed = await self._by_ids(session, own_ids)
                notices = await self._notices(session, QaAnswer.id.in_(notice_ids))
                return ForgetReport(
                    mode,
                    len(own_ids),
                    answer_count,
                    changed=tuple(changed),
                    changed_notices=tuple(notices),
                )
            gone_notices = [_where(p) for p in await self._notices(session, touched)]
            mine_answers = select(QaAnswer.id).where(QaAnswer.author_id == user_id)
            await session.execute(
                update(QaQuestion)
                .where(QaQuestion.accepted_answer_id.in_(mine_answers))
                .values(accepted_answer_id=None)
            )
            await session.execute(
                delete(QaAnswer).where(
                    or_(QaAnswer.author_id == user_id, QaAnswer.question_id.in_(own_ids))
                )
            )
            await session.execute(delete(QaQuestion).where(QaQuestion.id.in_(own_ids)))
            others = [i for i in answered_ids if i not in set(own_ids)]
            await self._reindex(session, [*own_ids, *others])
            changed = await self._by_ids(session, others)
            return ForgetReport(
                mode,
                len(own_ids),
                answer_count,
                deleted=tuple(own),
                changed=tuple(changed),
                deleted_notices=tuple(gone_notices),
            )
