"""What the services ask of full-text search, whatever the database.

The services pass plain text and filters and get back ids, scores and snippets; how the text
becomes a query, how matches are ranked and where the index lives belong to one implementation
per database (`bot.db.search.sqlite`: FTS5 tables). Writes take the caller's session, so the
index changes in the same transaction as the rows it describes.

The methods the services call are written here, once: they hold what every database does alike
(the text put in place of the old, every word of a search else any of them, nothing to find
without a word). An implementation provides the steps they are made of, the abstract methods:
the index's query language and its statements.

Scores rank lower-is-better (FTS5's bm25 does; an implementation ranking higher-is-better
returns them negated). Snippets are plain text with each matched word between
`HIGHLIGHT_OPEN` and `HIGHLIGHT_CLOSE`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy import Row, Select
from sqlalchemy.ext.asyncio import AsyncSession

__all__ = [
    "HIGHLIGHT_CLOSE",
    "HIGHLIGHT_OPEN",
    "EntryIndex",
    "EntryPage",
    "EntryText",
    "Hit",
    "HitPage",
    "Hits",
    "QuestionFilter",
    "QuestionIndex",
    "QuestionText",
    "Ranking",
    "Search",
    "TextIndex",
]

HIGHLIGHT_OPEN, HIGHLIGHT_CLOSE = "\x02", "\x03"


@dataclass(frozen=True, slots=True)
class Hit:
    """One match: the row's id, its score (lower is better) and a snippet of what matched."""

    id: int
    score: float
    snippet: str = ""


@dataclass(frozen=True, slots=True)
class Hits:
    """Some matches, best first, and how many there are in all."""

    hits: tuple[Hit, ...]
    total: int


@dataclass(frozen=True, slots=True)
class HitPage:
    """One page of matches, best first, how many were ranked and the page shown.

    `page` is the page asked for, or the last page when that was past the end.
    """

    hits: tuple[Hit, ...]
    total: int
    page: int


@dataclass(frozen=True, slots=True)
class EntryText:
    """The searchable text of one learning (row of `entries`)."""

    id: int
    title: str
    aliases: Sequence[str]
    tags: Sequence[str]
    summary: str
    body: str


@dataclass(frozen=True, slots=True)
class QuestionText:
    """The searchable text of one question (row of `qa_questions`) with its answers'."""

    id: int
    title: str
    details: str
    tags: Sequence[str]
    answers: Sequence[str]


@dataclass(frozen=True, slots=True)
class QuestionFilter:
    """Which questions a search may return.

    `answered`: True for questions with at least one answer, False for those with none, None
    for both. `unaccepted`: only questions without an accepted answer.
    """

    guild_id: int
    tag: str | None = None
    answered: bool | None = None
    unaccepted: bool = False


@dataclass(frozen=True, slots=True)
class EntryPage:
    """Which learnings a search shows: `limit` of them from `offset`, of `kinds` when given."""

    kinds: Sequence[str] | None
    limit: int
    offset: int
    snippets: bool = True  # without: ids and scores only (snippets later, for those shown)
    # Without: the matches are not counted where counting is a query of its own (FTS5), and
    # `total` is only how many hits came back (a caller that reranks the window needs no more).
    counted: bool = True


@dataclass(frozen=True, slots=True)
class Ranking:
    """Which questions a search ranks and shows: the newest `window` matches `where` allows,
    best first, page `page` of `per_page` (past the end: the last page).
    """

    where: QuestionFilter
    window: int
    page: int
    per_page: int


class _Identified(Protocol):
    """Text indexed under the id of its row."""

    @property
    def id(self) -> int:
        """The row's id."""
        ...


class _Counted(Protocol):
    """Matches that say how many there are."""

    @property
    def total(self) -> int:
        """How many matches there are in all."""
        ...


Document = TypeVar("Document", bound=_Identified)
Found = TypeVar("Found", bound=_Counted)


class TextIndex(ABC, Generic[Document]):
    """A full-text index of one table's rows, each indexed by its id."""

    async def put(self, session: AsyncSession, document: Document) -> None:
        """Index a row (its previous text, if any, is replaced)."""
        await self.remove(session, [document.id])
        await self._add(session, document)

    @abstractmethod
    async def remove(self, session: AsyncSession, ids: Sequence[int]) -> None:
        """Forget the rows `ids` (ids not indexed are ignored)."""

    @abstractmethod
    async def _add(self, session: AsyncSession, document: Document) -> None:
        """Index a row that is not indexed."""

    @abstractmethod
    async def rebuild(self, session: AsyncSession) -> None:
        """Index every row of the table anew, from the rows themselves, as `put` indexes them
        (for bulk loads and copies between databases: one statement, not one per row).
        """

    @abstractmethod
    async def purge(self, session: AsyncSession) -> None:
        """Rewrite the index so that no trace of removed rows is left in its storage."""

    @abstractmethod
    def match(self, query: str, *, any_term: bool = False) -> str | None:
        """Free text `query` in the index's own language: rows holding every term of it
        (with `any_term`, any of them); None when it holds nothing to search for.
        """

    async def _every_else_any(
        self, query: str, run: Callable[[str], Awaitable[Found]], nothing: Found
    ) -> Found:
        """`run` with every term of `query`, or, when that finds nothing, with any of them;
        `nothing` when `query` holds nothing to search for.
        """
        every = self.match(query)
        if every is None:
            return nothing
        found = await run(every)
        any_term = self.match(query, any_term=True)
        if found.total == 0 and any_term is not None and any_term != every:
            found = await run(any_term)
        return found


class EntryIndex(TextIndex[EntryText]):
    """The full-text index of the learnings: title, aliases, tags, summary and body."""

    async def search(
        self,
        session: AsyncSession,
        query: str,
        *,
        kinds: Sequence[str] | None = None,
        limit: int,
        offset: int = 0,
        any_term: bool = False,
        every_term_only: bool = False,
        snippets: bool = True,
        counted: bool = True,
    ) -> Hits:
        """Learnings (of `kinds`, when given) holding every word of `query`, or, when none
        does, any of them; best first, `limit` of them from `offset`, with snippets. With
        `any_term`, any of them at once; with `every_term_only`, every word or nothing. Without
        `snippets`, the hits carry none (see `snippets`); without `counted`, `total` may be
        only how many hits there are on this page.
        """
        page = EntryPage(kinds, limit, offset, snippets, counted)
        if any_term or every_term_only:
            match = self.match(query, any_term=any_term)
            return Hits((), 0) if match is None else await self._page(session, match, page)
        return await self._every_else_any(
            query, lambda match: self._page(session, match, page), Hits((), 0)
        )

    @abstractmethod
    async def _page(self, session: AsyncSession, match: str, page: EntryPage) -> Hits:
        """How many learnings `match` finds, and `page` of them, best first, with snippets."""

    async def snippets(
        self, session: AsyncSession, query: str, ids: Sequence[int], *, any_term: bool = False
    ) -> dict[int, str]:
        """The snippets of the learnings `ids` for `query` (read as `search` reads it)."""
        match = self.match(query, any_term=any_term)
        if match is None or not ids:
            return {}
        return await self._snippets(session, match, ids)

    @abstractmethod
    async def _snippets(
        self, session: AsyncSession, match: str, ids: Sequence[int]
    ) -> dict[int, str]:
        """The snippets of the learnings `ids` that `match` finds."""


class QuestionIndex(TextIndex[QuestionText]):
    """The full-text index of the questions: title, details, tags and the answers' text.

    Searches among many matches rank only the newest `window` of them (the most recent
    questions first), so a word found in most questions costs no more than a rare one; the
    `total` they report is then `window`.
    """

    async def search(
        self,
        session: AsyncSession,
        query: str,
        where: QuestionFilter,
        *,
        window: int,
        page: int,
        per_page: int,
    ) -> HitPage:
        """Questions holding every word of `query`, or, when none does, any of them; one page
        of the best among the newest `window` matches, the words matched highlighted.
        """
        ranking = Ranking(where, window, page, per_page)
        return await self._every_else_any(
            query, lambda match: self._ranked(session, match, match, ranking), HitPage((), 0, 1)
        )

    async def suggest(
        self, session: AsyncSession, typed: str, where: QuestionFilter, *, window: int, limit: int
    ) -> list[int]:
        """Ids of questions whose title or tags hold the words being typed (the last one may
        be unfinished), best first among the newest `window` matches.
        """
        match = self._prefix_match(typed)
        if match is None:
            return []
        return await self._titles(session, match, Ranking(where, window, 1, limit))

    async def suggest_rows(
        self,
        session: AsyncSession,
        typed: str,
        where: QuestionFilter,
        read: Select[*tuple[Any, ...]],
        *,
        window: int,
        limit: int,
    ) -> list[Row[Any]]:
        """The rows `read` (a select of qa_questions' columns, `id` among them) for the
        questions `suggest` finds, in its order.
        """
        match = self._prefix_match(typed)
        if match is None:
            return []
        return await self._title_rows(session, match, Ranking(where, window, 1, limit), read)

    async def _title_rows(
        self, session: AsyncSession, match: str, ranking: Ranking, read: Select[*tuple[Any, ...]]
    ) -> list[Row[Any]]:
        """`read`'s rows for the page `_titles` ranks, in its order: the ids, then their rows
        (a database may do both in one statement).
        """
        ids = await self._titles(session, match, ranking)
        if not ids:
            return []
        found = await session.execute(read.where(read.selected_columns.id.in_(ids)))
        by_id = {row.id: row for row in found}
        return [by_id[i] for i in ids if i in by_id]

    async def similar(
        self,
        session: AsyncSession,
        keywords: Sequence[str],
        where: QuestionFilter,
        *,
        common: frozenset[str] = frozenset(),
        title_window: int,
        window: int,
        limit: int,
    ) -> list[Hit]:
        """Questions that share two of `keywords` (the one, when there is only one); two
        `common` words alone are not a match. Titles and tags first: the best `limit` among
        the newest `title_window` questions sharing them there; when those are fewer, the
        best among the newest `window` sharing them in their title, details or tags follow.
        Each with a snippet around any of the keywords.
        """
        titled = self.similar_query(keywords, common, titles=True)
        match = self.similar_query(keywords, common)
        if titled is None or match is None:
            return []
        highlight = self.highlight_query(keywords)
        first = Ranking(where, title_window, 1, limit)
        hits = list((await self._ranked(session, titled, highlight, first, titles=True)).hits)
        if len(hits) < limit:
            ranking = Ranking(where, window, 1, limit + len(hits))
            seen = {hit.id for hit in hits}
            found = await self._ranked(session, match, highlight, ranking)
            hits += [hit for hit in found.hits if hit.id not in seen][: limit - len(hits)]
        return hits

    async def count(self, session: AsyncSession, word: str) -> int:
        """How many questions, of every server, hold `word`."""
        return (await self.word_counts(session, [word]))[0]

    @abstractmethod
    async def word_counts(self, session: AsyncSession, words: Sequence[str]) -> list[int]:
        """How many questions, of every server, hold each of `words`: one statement."""

    @abstractmethod
    def similar_query(
        self, keywords: Sequence[str], common: frozenset[str] = frozenset(), *, titles: bool = False
    ) -> str | None:
        """The query `similar` runs for these words, in the index's own language (None when
        no pair of them may match): in titles and tags only (`titles`, the small index
        autocomplete reads), or in titles, details and tags.
        """

    @abstractmethod
    def highlight_query(self, keywords: Sequence[str]) -> str:
        """The query `similar` highlights its snippets with, in the index's own language."""

    @abstractmethod
    def _prefix_match(self, typed: str) -> str | None:
        """The query for text being typed, whose last word may be unfinished (None: empty)."""

    @abstractmethod
    async def _ranked(
        self,
        session: AsyncSession,
        match: str,
        highlight: str,
        ranking: Ranking,
        *,
        titles: bool = False,
    ) -> HitPage:
        """The page `ranking` asks for of the questions `match` finds (in their titles and
        tags only, with `titles`), with snippets of the words `highlight` finds; how many
        matches the window holds; the page shown.
        """

    @abstractmethod
    async def _titles(self, session: AsyncSession, match: str, ranking: Ranking) -> list[int]:
        """Ids of the first page `ranking` asks for of the questions whose title or tags
        `match` finds.
        """


class Search:
    """Full-text search of one database: one index per searchable table."""

    def __init__(self, entries: EntryIndex, questions: QuestionIndex) -> None:
        self.entries = entries
        self.questions = questions

    def has_terms(self, query: str) -> bool:
        """Whether `query` holds anything to search for (not only spaces and punctuation)."""
        return self.entries.match(query) is not None

    async def merge_step(self, session: AsyncSession, pages: int) -> bool:
        """One bounded step of tidying the indexes (about `pages` pages of work); whether it
        did any. Nothing to do here: PostgreSQL's autovacuum keeps its indexes.
        """
        return False
