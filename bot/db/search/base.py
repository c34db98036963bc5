"""What the services ask of full-text search, whatever the database.

The services pass plain text and filters and get back ids, scores and snippets; how the text
becomes a query, how matches are ranked and where the index lives belong to one implementation
per database (`bot.db.search.sqlite`: FTS5 tables). Writes take the caller's session, so the
index changes in the same transaction as the rows it describes.

Scores rank lower-is-better (FTS5's bm25 does; an implementation ranking higher-is-better
returns them negated). Snippets are plain text with each matched word between
`HIGHLIGHT_OPEN` and `HIGHLIGHT_CLOSE`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

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


class EntryIndex(ABC):
    """The full-text index of the learnings: title, aliases, tags, summary and body."""

    @abstractmethod
    async def put(self, session: AsyncSession, entry: EntryText) -> None:
        """Index a learning (its previous text, if any, is replaced)."""

    @abstractmethod
    async def remove(self, session: AsyncSession, ids: Sequence[int]) -> None:
        """Forget the learnings `ids` (ids not indexed are ignored)."""

    @abstractmethod
    async def search(
        self,
        session: AsyncSession,
        query: str,
        *,
        kinds: Sequence[str] | None = None,
        limit: int,
        offset: int = 0,
    ) -> Hits:
        """Learnings (of `kinds`, when given) holding every word of `query`, or, when none
        does, any of them; best first, `limit` of them from `offset`, with snippets.
        """


class QuestionIndex(ABC):
    """The full-text index of the questions: title, details, tags and the answers' text.

    Searches among many matches rank only the newest `window` of them (the most recent
    questions first), so a word found in most questions costs no more than a rare one; the
    `total` they report is then `window`.
    """

    @abstractmethod
    async def put(self, session: AsyncSession, question: QuestionText) -> None:
        """Index a question (its previous text, if any, is replaced)."""

    @abstractmethod
    async def remove(self, session: AsyncSession, ids: Sequence[int]) -> None:
        """Forget the questions `ids` (ids not indexed are ignored)."""

    @abstractmethod
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
        of the best among the newest `window` matches, with snippets.
        """

    @abstractmethod
    async def suggest(
        self, session: AsyncSession, typed: str, where: QuestionFilter, *, window: int, limit: int
    ) -> list[int]:
        """Ids of questions whose title or tags hold the words being typed (the last one may
        be unfinished), best first among the newest `window` matches.
        """

    @abstractmethod
    async def similar(
        self,
        session: AsyncSession,
        keywords: Sequence[str],
        where: QuestionFilter,
        *,
        common: frozenset[str] = frozenset(),
        window: int,
        limit: int,
    ) -> list[Hit]:
        """Questions whose title, details or tags share two of `keywords` (the one, when
        there is only one); two `common` words alone are not a match. The best `limit` among
        the newest `window` matches, each with a snippet around any of the keywords.
        """

    @abstractmethod
    async def count(self, session: AsyncSession, word: str) -> int:
        """How many questions, of every server, hold `word`."""

    @abstractmethod
    def similar_query(
        self, keywords: Sequence[str], common: frozenset[str] = frozenset()
    ) -> str | None:
        """The query `similar` runs for these words, in the index's own language (None when
        no pair of them may match); for measuring and testing the search, not to run it.
        """

    @abstractmethod
    def highlight_query(self, keywords: Sequence[str]) -> str:
        """The query `similar` highlights its snippets with, in the index's own language."""


class Search(ABC):
    """Full-text search of one database: one index per searchable table."""

    entries: EntryIndex
    questions: QuestionIndex

    @abstractmethod
    def has_terms(self, query: str) -> bool:
        """Whether `query` holds anything to search for (not only spaces and punctuation)."""
