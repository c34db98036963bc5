"""Finding questions: search, autocomplete, lists, and the answered questions like a draft.

The full-text queries themselves belong to the database's search (`db.search.questions`):
this module says what to look for, among which questions, and how many to rank.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import String, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from bot.core.actor import Actor
from bot.core.paging import paginate
from bot.core.query import understand
from bot.core.text import (
    MAX_QUERY_CHARS,
    SUGGESTIONS,
    clean_text,
    require_search_words,
    shown_query,
    snippet_markdown,
)
from bot.db.models import QaAnswer, QaQuestion
from bot.db.search import HIGHLIGHT_CLOSE, HIGHLIGHT_OPEN, Hit, QuestionFilter
from bot.qa.model import (
    Answer,
    Draft,
    QuestionHit,
    QuestionList,
    QuestionTitle,
    SearchPage,
    Status,
)
from bot.qa.store import (
    QaStore,
    has_answers,
    question_of,
    questions_read,
    titles_read,
    to_answer,
)
from bot.qa.validation import parse_tag, similarity_keywords

SEARCH_PAGE = 5  # questions per page of search results
LIST_PAGE = 10  # questions per page of a list
SIMILAR_LIMIT = 3  # answered questions offered while asking
TOP_MATCHES = 3  # answered questions shown by the general /search
# Searching 100,000 questions must stay fast when a word is in most of them ("django"): the
# ranking is computed for at most this many matches, the newest first. Fewer matches are all
# ranked (the result is exact); more are reported as "1000+", ranked within the newest
# RANK_WINDOW.
RANK_WINDOW = 1000
TOP_WINDOW = 300  # ranked for the TOP_MATCHES of the general /search
SUGGEST_WINDOW = 100
SIMILAR_TITLE_WINDOW = 100
SIMILAR_WINDOW = 300
SIMILAR_COMMON_WINDOW = 100
# /ask looks for questions sharing two of the draft's rarest keywords: in their titles and
# tags first (the best of the newest SIMILAR_TITLE_WINDOW), then, when those are too few, in
# their details too (of the newest SIMILAR_WINDOW). A word in more than COMMON_SHARE of the
# questions (and in more than COMMON_MIN) says little about a question: pairs of two such
# words are tried only when the rarer pairs found too little, and only in the newest
# SIMILAR_COMMON_WINDOW matches (they match tens of thousands of rows).
SIMILAR_RARE_KEYWORDS = 4
COMMON_SHARE = 0.02
COMMON_MIN = 200
TERM_STATS_SECONDS = 600.0  # how long a keyword's question count is reused
TERM_STATS_MAX = 20_000

NUMBER_RE = re.compile(r"[0-9]{1,18}")
ANSWERED: dict[Status, bool | None] = {"all": None, "answered": True, "open": False}


@dataclass(frozen=True, slots=True)
class SimilarQueries:
    """What `similar` asks the index for a draft, in the index's own language: pairs of the
    chosen keywords in titles and tags, then in titles, details and tags; the pairs of two
    common words the same two ways (None when they are not tried); any of the keywords, to
    highlight snippets with.
    """

    titles: str
    first: str
    common_titles: str | None
    every_pair: str | None
    highlight: str


def clean_snippet(raw: str) -> str:
    """A search snippet -> one line of safe Markdown with the matched words in bold."""
    return snippet_markdown(raw, (HIGHLIGHT_OPEN, HIGHLIGHT_CLOSE))


def searched(query: str) -> str:
    """What a search looks for: the words of `query` that carry meaning (a learner's question
    without its question words and filler, `bot.core.query`), or all of it when none does.
    """
    meaningful = understand(query).core_text()
    return meaningful if meaningful.strip() else query


def similar_plan(chosen: Sequence[str], common: frozenset[str]) -> tuple[frozenset[str], bool]:
    """The common words whose pairs the first similar-question search leaves out, and whether
    to search their pairs too when it finds too little.

    Pairs of two common words are left out when other pairs remain; when every keyword is
    common, their pairs are all there is to search.
    """
    shared = [word for word in chosen if word in common]
    if len(shared) < 2 or len(shared) == len(chosen):
        return frozenset(), False
    return common, True


class Finding(QaStore):
    """Reading the Q&A: full-text search, autocomplete, lists, similar questions."""

    async def _hits(self, session: AsyncSession, hits: Sequence[Hit]) -> tuple[QuestionHit, ...]:
        """The questions of `hits` (those still there), in order, with their snippets."""
        found = {q.id: q for q in await self._by_ids(session, [h.id for h in hits])}
        return tuple(
            QuestionHit(found[h.id], clean_snippet(h.snippet), h.score)
            for h in hits
            if h.id in found
        )

    # -- autocomplete ----------------------------------------------------------------------

    async def suggest(
        self, guild_id: int, typed: str, *, unaccepted_only: bool = False, limit: int = SUGGESTIONS
    ) -> list[QuestionTitle]:
        """Autocomplete: questions whose number or words start like what was typed; only what
        a choice shows is read (each keystroke asks again).
        """
        typed = clean_text(typed, multiline=False)[:MAX_QUERY_CHARS]
        conditions = [QaQuestion.guild_id == guild_id]
        if unaccepted_only:  # nor closed by their askers
            conditions.append(QaQuestion.accepted_answer_id.is_(None))
            conditions.append(QaQuestion.closed_at.is_(None))
        read = titles_read()
        async with self._db.read() as session:
            if not typed:
                # What most needs an answer: unanswered first, then the newest. Two queries
                # that each walk the (guild, created) index newest first and stop early.
                found: list[QuestionTitle] = []
                for answered in (False, True):
                    answers = has_answers() if answered else ~has_answers()
                    query = (
                        read.where(*conditions, answers)
                        .order_by(QaQuestion.created_at.desc(), QaQuestion.id.desc())
                        .limit(limit - len(found))
                    )
                    newest = await session.execute(query)
                    found += [QuestionTitle(row.id, row.title) for row in newest]
                    if len(found) >= limit:
                        break
                return found
            number = typed.lstrip("#").strip()
            if NUMBER_RE.fullmatch(number):
                as_text = func.cast(QaQuestion.id, String)
                query = (
                    read.where(*conditions, as_text.like(f"{int(number)}%"))
                    .order_by(func.length(as_text), QaQuestion.id)
                    .limit(limit)
                )
                numbered = await session.execute(query)
                return [QuestionTitle(row.id, row.title) for row in numbered]
            # Titles and tags only (what the choices show); the newest SUGGEST_WINDOW matches
            # are ranked.
            where = QuestionFilter(guild_id, unaccepted=unaccepted_only)
            rows = await self._db.search.questions.suggest_rows(
                session, typed, where, read, window=SUGGEST_WINDOW, limit=limit
            )
            return [QuestionTitle(row.id, row.title) for row in rows]

    async def suggest_answers(
        self, guild_id: int, actor: Actor, typed: str, limit: int = SUGGESTIONS
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
        return [to_answer(row, None) for row in rows]

    # -- lists -----------------------------------------------------------------------------

    async def mine(
        self, guild_id: int, user_id: int, page: int = 1, per_page: int = LIST_PAGE
    ) -> QuestionList:
        """The member's questions in this server, newest first."""
        where = (QaQuestion.guild_id == guild_id, QaQuestion.author_id == user_id)
        return await self._list("mine", where, page, per_page, newest_first=True)

    async def unanswered(
        self, guild_id: int, page: int = 1, per_page: int = LIST_PAGE
    ) -> QuestionList:
        """Questions nobody has answered yet (nor closed), oldest first."""
        where = (QaQuestion.guild_id == guild_id, ~has_answers(), QaQuestion.closed_at.is_(None))
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
        # Newest first by number (the asker's index keeps a member's questions in that order);
        # oldest first by age, as the open questions' index keeps them (migration 0017).
        order = (QaQuestion.id.desc(),) if newest_first else (QaQuestion.created_at, QaQuestion.id)
        async with self._db.read() as session:
            total = await session.scalar(select(func.count(QaQuestion.id)).where(*where))
            pages, page = paginate(int(total or 0), per_page, page)
            rows = await session.execute(
                questions_read()
                .where(*where)
                .order_by(*order)
                .limit(per_page)
                .offset((page - 1) * per_page)
            )
            questions = tuple(question_of(row) for row in rows)
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
        per_page: int = SEARCH_PAGE,
    ) -> SearchPage:
        """Ranked search over questions and their answers; any free text is safe.

        Questions holding every meaningful word come first; when none does, those holding any.
        """
        query = clean_text(query, multiline=False)
        tag = parse_tag(tag)
        require_search_words(self._db.search.has_terms, query)
        window = RANK_WINDOW
        where = QuestionFilter(guild_id, tag=tag, answered=ANSWERED[status])
        async with self._db.read() as session:
            found = await self._db.search.questions.search(
                session, searched(query), where, window=window, page=page, per_page=per_page
            )
            hits = await self._hits(session, found.hits)
        pages, page = paginate(found.total, per_page, found.page)
        shown = shown_query(query)
        return SearchPage(shown, tag, status, hits, found.total, page, pages, found.total >= window)

    async def answered_matches(
        self, guild_id: int, query: str, limit: int = TOP_MATCHES
    ) -> list[QuestionHit]:
        """The best answered questions for `query` (for the general /search); [] if none."""
        query = clean_text(query, multiline=False)
        if not self._db.search.has_terms(query):
            return []
        where = QuestionFilter(guild_id, answered=True)
        async with self._db.read() as session:
            found = await self._db.search.questions.search(
                session, searched(query), where, window=TOP_WINDOW, page=1, per_page=limit
            )
            return list(await self._hits(session, found.hits))

    # -- questions like a draft ------------------------------------------------------------

    async def _similar_keywords(
        self, session: AsyncSession, draft: Draft
    ) -> tuple[list[str], frozenset[str]] | None:
        """The draft's rarest keywords, in its order, and which of them are common words.

        A word no question holds (a typo, a new name) cannot be shared: it takes no place
        among the rarest while two or more other words are found (with fewer, no question
        can share two words, and none is found, as before).
        """
        keywords = similarity_keywords(draft)
        if not keywords:
            return None
        counts = await self._question_counts(session, keywords)
        common_above = max(COMMON_MIN, COMMON_SHARE * counts[""])
        held = [word for word in keywords if counts[word]]
        if len(held) < 2:
            held = keywords
        rarest = sorted(held, key=lambda word: counts[word])[:SIMILAR_RARE_KEYWORDS]
        chosen = [word for word in keywords if word in rarest]  # in the draft's order
        return chosen, frozenset(w for w in chosen if counts[w] > common_above)

    async def similarity_expressions(self, draft: Draft) -> SimilarQueries | None:
        """The queries `similar` runs for `draft`, in the search index's own language. For
        measuring and testing the search.
        """
        async with self._db.read() as session:
            found = await self._similar_keywords(session, draft)
        if found is None:
            return None
        chosen, common = found
        index = self._db.search.questions
        leave_out, then_common = similar_plan(chosen, common)
        titles = index.similar_query(chosen, leave_out, titles=True)
        first = index.similar_query(chosen, leave_out)
        assert titles is not None
        assert first is not None
        return SimilarQueries(
            titles,
            first,
            index.similar_query(chosen, titles=True) if then_common else None,
            index.similar_query(chosen) if then_common else None,
            index.highlight_query(chosen),
        )

    async def similar(
        self, guild_id: int, draft: Draft, limit: int = SIMILAR_LIMIT
    ) -> list[QuestionHit]:
        """Answered questions that share two of the draft's rarest keywords, best first:
        those sharing them in their titles or tags, then in their details.
        """
        if not similarity_keywords(draft):
            return []
        index = self._db.search.questions
        where = QuestionFilter(guild_id, answered=True)
        async with self._db.read() as session:
            found = await self._similar_keywords(session, draft)
            assert found is not None
            chosen, common = found
            leave_out, then_common = similar_plan(chosen, common)
            first = await index.similar(
                session,
                chosen,
                where,
                common=leave_out,
                title_window=SIMILAR_TITLE_WINDOW,
                window=SIMILAR_WINDOW,
                limit=limit,
            )
            hits = list(await self._hits(session, first))
            if len(hits) < limit and then_common:
                more = await index.similar(
                    session,
                    chosen,
                    where,
                    title_window=SIMILAR_COMMON_WINDOW,
                    window=SIMILAR_COMMON_WINDOW,
                    limit=limit,
                )
                seen = {h.question.id for h in hits}
                extra = [h for h in await self._hits(session, more) if h.question.id not in seen]
                hits += extra[: limit - len(hits)]
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
        fresh: dict[str, int] = {}
        if "" not in out:
            fresh[""] = int(await session.scalar(select(func.max(QaQuestion.id))) or 0)
        unknown = [word for word in dict.fromkeys(words) if word not in out]
        if unknown:  # counted together: one statement
            found = await self._db.search.questions.word_counts(session, unknown)
            fresh |= zip(unknown, found, strict=True)
        if len(self._term_counts) + len(fresh) > TERM_STATS_MAX:
            self._term_counts.clear()
        self._term_counts |= {word: (counted, now) for word, counted in fresh.items()}
        return out | fresh
