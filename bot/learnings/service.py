"""Finding learnings: autocomplete, forgiving lookup, random picks, browsing, full-text search."""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.paging import page_of, paginate
from bot.core.query import understand
from bot.core.text import (
    SUGGESTIONS,
    normalise,
    require_search_words,
    shown_query,
    snippet_markdown,
)
from bot.core.values import from_row
from bot.db.engine import Database
from bot.db.models import Entry
from bot.db.search import HIGHLIGHT_CLOSE, HIGHLIGHT_OPEN
from bot.errors import BadInput
from bot.learnings.model import TOPICS, DocLink, Learning
from bot.learnings.names import SUGGEST_SCORE, NameIndex, named, starting, words_named
from bot.learnings.ranking import EntryWords, entry_words, rerank, vocabulary

DIRECT_SCORE = 88.0  # a fuzzy match this good, clearly ahead of the next, answers directly
LOOKUP_SCORE = 72.0  # a looked-up name this close is offered ("did you mean"); typing shows more
CLEAR_LEAD = 6.0
CANDIDATES = 5  # close names a lookup offers when none is clearly meant
SEARCH_PAGE = 5  # hits per page of search results
MARKS = (HIGHLIGHT_OPEN, HIGHLIGHT_CLOSE)  # around the matched words of a snippet
RERANK_WINDOW = 50  # the learnings the index finds for a search, ordered again by their names
INDEX_PAGE = 12  # entries per page of an index
# A one-word query this short that starts >= `need` names scoring PREFIX_SURE: no other name
# can outscore them (see `_prefix_only`), so the fuzzy pass is skipped.
PREFIX_ONLY_MAX_CHARS = 8
PREFIX_SURE = 95.0


@dataclass(frozen=True, slots=True)
class Found:
    """A lookup that names one learning."""

    entry: Learning


@dataclass(frozen=True, slots=True)
class Suggestions:
    """A lookup that names no learning clearly: the closest candidates, best first."""

    query: str
    candidates: tuple[Learning, ...]
    # The entry of another kind called exactly `query` (listed last among the candidates).
    elsewhere: Learning | None = None
    # The candidates are named otherwise but their text covers every word of `query`.
    covers: bool = False


@dataclass(frozen=True, slots=True)
class Missing:
    """A lookup that found nothing close."""

    query: str


LookupResult = Found | Suggestions | Missing


@dataclass(frozen=True, slots=True)
class SearchHit:
    """A learning found by full-text search, with a snippet of what matched (Markdown)."""

    slug: str
    kind: str
    title: str
    snippet: str
    score: float


@dataclass(frozen=True, slots=True)
class SearchPage:
    """One page of full-text search results."""

    query: str
    hits: tuple[SearchHit, ...]
    total: int
    page: int
    pages: int


@dataclass(frozen=True, slots=True)
class IndexPage:
    """One page of the learnings of a kind (and topic), by topic then title."""

    kind: str
    topic: str | None
    entries: tuple[Learning, ...]
    total: int
    page: int
    pages: int


# A learning's columns as plain rows, not ORM objects: a start-up reads every learning, and
# the session's identity map doubled the time (0.22 against 0.10 s for 4,640 learnings).
_LEARNING_ROWS = select(
    Entry.id,
    *(getattr(Entry, f.name) for f in fields(Learning) if f.init),
)


def learning_from_row(row: Entry | Row[Any]) -> Learning:
    """A stored learning as plain data."""
    return from_row(
        Learning,
        row,
        aliases=tuple(row.aliases),
        tags=tuple(row.tags),
        related=tuple(row.related),
        docs=tuple(DocLink(d["title"], d["url"]) for d in row.docs),
    )


class LearningsService:
    """Read access to the learnings.

    Lookups are served from memory; full-text search from the database (`db.search.entries`).
    """

    def __init__(self, db: Database) -> None:
        self._db = db
        self._by_slug: dict[str, Learning] = {}
        # Per kind (None: every kind), so a /concept lookup never scores tips and challenges.
        self._indexes: dict[str | None, NameIndex] = {None: NameIndex()}
        # (kind, name) and (None, name) -> slug: an exact name of the kind asked for wins.
        self._exact: dict[tuple[str | None, str], str] = {}
        # The words of the knowledge base: a misspelt word of a search is read as one of them.
        self._known: frozenset[str] = frozenset()
        self._sorted_known: list[str] = []
        # The database's id of each learning, as the full-text index names its hits.
        self._slug_of_id: dict[int, str] = {}
        # The words of each learning a search has reranked (`entry_words`), by slug.
        self._entry_words: dict[str, EntryWords] = {}

    async def refresh(self) -> None:
        """Reload the in-memory index from the database (after a content sync)."""
        async with self._db.read() as session:
            rows = (await session.execute(_LEARNING_ROWS.order_by(Entry.title))).all()
        self.load(learning_from_row(row) for row in rows)
        self._slug_of_id = {row.id: row.slug for row in rows}

    def load(self, learnings: Iterable[Learning]) -> None:
        """Replace the in-memory index with `learnings` (their ids are read again when
        a search first finds one it does not know).
        """
        by_slug: dict[str, Learning] = {}
        indexes: dict[str | None, NameIndex] = {None: NameIndex()}
        positions: dict[str | None, dict[str, int]] = {None: {}}
        exact: dict[tuple[str | None, str], str] = {}
        for entry in learnings:
            by_slug[entry.slug] = entry
            kind_index = indexes.setdefault(entry.kind, NameIndex())
            kind_positions = positions.setdefault(entry.kind, {})
            for name in entry.names:
                key = normalise(name)
                indexes[None].add(key, entry.slug, positions[None])
                kind_index.add(key, entry.slug, kind_positions)
                exact.setdefault((entry.kind, key), entry.slug)
                exact.setdefault((None, key), entry.slug)
        for index in indexes.values():
            index.seal()
        self._by_slug, self._indexes, self._exact = by_slug, indexes, exact
        self._slug_of_id, self._entry_words = {}, {}
        self._known = vocabulary(by_slug.values())
        self._sorted_known = sorted(self._known)

    # -- reading ---------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._by_slug)

    def get(self, slug: str) -> Learning | None:
        """The learning called `slug`, if there is one."""
        return self._by_slug.get(slug)

    def all(self, kind: str | None = None, topic: str | None = None) -> list[Learning]:
        """Every learning (of `kind`, in `topic`, when given), by title."""
        return [
            e
            for e in self._by_slug.values()
            if (kind is None or e.kind == kind) and (topic is None or e.topic == topic)
        ]

    def counts(self) -> dict[str, int]:
        """How many learnings there are of each kind."""
        counts = {"concept": 0, "challenge": 0, "tip": 0}
        for entry in self._by_slug.values():
            counts[entry.kind] = counts.get(entry.kind, 0) + 1
        return counts

    def topics(self, kind: str) -> list[str]:
        """Topics that have at least one entry of `kind`, in the canonical order."""
        present = {e.topic for e in self._by_slug.values() if e.kind == kind}
        return [t for t in TOPICS if t in present]

    def related(self, entry: Learning) -> list[Learning]:
        """The learnings `entry` points to, those that exist."""
        return [r for slug in entry.related if (r := self._by_slug.get(slug)) is not None]

    # -- matching --------------------------------------------------------------------------

    def _ranked(self, best: dict[str, float]) -> list[tuple[Learning, float]]:
        ranked = sorted(best.items(), key=lambda item: (-item[1], self._by_slug[item[0]].title))
        return [(self._by_slug[slug], score) for slug, score in ranked]

    def _scores(
        self, query: str, kind: str | None, need: int = CANDIDATES
    ) -> list[tuple[Learning, float]]:
        """Every entry of `kind` a name of which scores SUGGEST_SCORE or more for `query`
        (`name_score`, best per entry), best first; at least the best `need` of them.

        Typing the start of a common word is answered from the sorted names alone: another
        name can only score PREFIX_SURE or more against a one-word key of at most
        PREFIX_ONLY_MAX_CHARS characters by starting with it (a whole-name or token ratio
        that high needs the same letters in the same order, the partial scores are capped at
        95 and 90), so once `need` entries are named that well by a prefix, they are the best
        `need`. Otherwise each other part of `name_score` is one C pass over every name
        (`named`).
        """
        key = normalise(query)
        index = self._indexes.get(kind)
        if index is None:
            return []
        starts = starting(key, index)
        if " " not in key and len(key) <= PREFIX_ONLY_MAX_CHARS:
            prefixed = self._per_entry(index, starts)
            if sum(1 for score in prefixed.values() if score >= PREFIX_SURE) >= need:
                return self._ranked(prefixed)
        return self._ranked(self._per_entry(index, named(key, index, starts)))

    @staticmethod
    def _per_entry(index: NameIndex, scores: dict[int, float]) -> dict[str, float]:
        """The best score of each entry, from the scores of its names (by place)."""
        best: dict[str, float] = {}
        for at, score in scores.items():
            for slug in index.slugs[at]:
                if score > best.get(slug, 0.0):
                    best[slug] = score
        return best

    def suggest(
        self, query: str, kind: str | None = None, limit: int = SUGGESTIONS
    ) -> list[Learning]:
        """Autocomplete: entries whose names start with, or resemble, what was typed."""
        if not query.strip():
            return self.all(kind)[:limit]
        return [
            e for e, score in self._scores(query, kind, limit)[:limit] if score >= SUGGEST_SCORE
        ]

    def lookup(self, query: str, kind: str) -> LookupResult:
        """An exact or clearly-best entry, else close candidates, else nothing."""
        key = normalise(query)
        if not key:
            raise BadInput("Type the name of what you are looking for.")
        slug = self._exact.get((kind, key)) or self._exact.get((None, key))
        exact = self._by_slug[slug] if slug is not None else None
        if exact is not None and exact.kind == kind:
            return Found(exact)
        scored = [(e, s * words_named(key, e)) for e, s in self._scores(query, kind, CANDIDATES)]
        scored = sorted(((e, s) for e, s in scored if s >= LOOKUP_SCORE), key=lambda pair: -pair[1])
        if exact is not None:
            if not scored:
                return Found(exact)
            # `/challenge celery` names the Celery concept: offer the challenges first.
            others = (e for e, _ in scored[: CANDIDATES - 1])
            return Suggestions(query, (*others, exact), elsewhere=exact)
        if scored:
            top, top_score = scored[0]
            runner_up = scored[1][1] if len(scored) > 1 else 0.0
            if top_score >= DIRECT_SCORE and top_score - runner_up >= CLEAR_LEAD:
                return Found(top)
            return Suggestions(query, tuple(e for e, _ in scored[:CANDIDATES]))
        return Missing(query)

    # -- random picks and browsing -----------------------------------------------------------

    def pick(
        self, kind: str, topic: str | None = None, rng: random.Random | None = None
    ) -> Learning | None:
        """A learning of `kind` (in `topic`) at random; None when there is none."""
        pool = self.all(kind, topic)
        return (rng or random).choice(pool) if pool else None

    def rotation(self, kind: str, topic: str | None, seed: int) -> list[Learning]:
        """A shuffled order of every entry of `kind` (in `topic`), the same for the same seed."""
        pool = sorted(self.all(kind, topic), key=lambda e: e.slug)
        random.Random(seed).shuffle(pool)  # noqa: S311 - an order of tips, not a secret
        return pool

    def index(
        self, kind: str, topic: str | None, page: int, per_page: int = INDEX_PAGE
    ) -> IndexPage:
        """One page of the learnings of `kind` (in `topic`), by topic then title."""
        entries = sorted(self.all(kind, topic), key=lambda e: (e.topic, e.title.casefold()))
        if topic is None:
            order = {t: i for i, t in enumerate(TOPICS)}
            entries.sort(key=lambda e: (order.get(e.topic, 99), e.title.casefold()))
        pages, page = paginate(len(entries), per_page, page)
        chunk = page_of(entries, per_page, page)
        return IndexPage(kind, topic, tuple(chunk), len(entries), page, pages)

    # -- full-text search ------------------------------------------------------------------

    async def find(self, query: str, kind: str) -> LookupResult:
        """`lookup`, and when no name is clearly meant, the learnings whose text covers the
        words too (after the close names): `/concept error handling`.
        """
        return await self.widen(self.lookup(query, kind), kind)

    async def widen(self, result: LookupResult, kind: str) -> LookupResult:
        """A `lookup` that named nothing clearly, with the learnings whose text covers the
        words added after the close names (unchanged when it found one, or a name of another
        kind).
        """
        if isinstance(result, Found) or (
            isinstance(result, Suggestions) and result.elsewhere is not None
        ):
            return result
        query = result.query
        named = result.candidates if isinstance(result, Suggestions) else ()
        covering = [e for e in await self.covering(query, kind) if e not in named]
        candidates = (*named, *covering)[:CANDIDATES]
        if not candidates:
            return Missing(query)
        return Suggestions(query, candidates, covers=not named)

    async def covering(self, query: str, kind: str) -> list[Learning]:
        """The learnings whose text holds the meaningful words of `query` together, entries of
        `kind` first, best first (for a lookup that no name matched: "error handling").
        """
        understood = understand(query, self._known, self._sorted_known)
        # The words in their order, as one phrase: "error handling", not "error" and "handling"
        # anywhere (the index reads `error-handling` as the phrase "error handling").
        phrase = "-".join(understood.core_text().split())
        if not phrase or not self._db.search.has_terms(phrase):
            return []
        async with self._db.read() as session:
            found = await self._db.search.entries.search(
                session,
                phrase,
                limit=RERANK_WINDOW,
                every_term_only=True,
                counted=False,
                snippets=False,  # suggestions show names and summaries: no snippet is shown
            )
            slugs = await self._slugs(session, [hit.id for hit in found.hits])
        candidates = [
            (entry, hit.score)
            for hit in found.hits
            if (entry := self._by_slug.get(slugs.get(hit.id, ""))) is not None
        ]
        ranked = [entry for entry, _ in rerank(candidates, understood, self._words_of)]
        ranked.sort(key=lambda entry: entry.kind != kind)  # stable: the same order within
        return ranked[:CANDIDATES]

    def _words_of(self, entry: Learning) -> EntryWords:
        words = self._entry_words.get(entry.slug)
        if words is None:
            words = self._entry_words[entry.slug] = entry_words(entry)
        return words

    async def _slugs(self, session: AsyncSession, ids: Sequence[int]) -> dict[int, str]:
        """The slugs of the learnings with these ids: from memory, or from the database when
        one is unknown (loaded without ids, or synced since).
        """
        known = self._slug_of_id
        if all(i in known for i in ids):
            return {i: known[i] for i in ids}
        rows = (await session.execute(select(Entry.id, Entry.slug).where(Entry.id.in_(ids)))).all()
        return {row.id: row.slug for row in rows}

    async def search(
        self,
        query: str,
        page: int = 1,
        per_page: int = SEARCH_PAGE,
        kinds: Sequence[str] | None = None,
    ) -> SearchPage:
        """Learnings that answer `query` (a question or keywords), best first, with highlighted
        snippets; free text is always safe.

        The index finds the best RERANK_WINDOW learnings holding any meaningful word of the
        question (`understand`); `rerank` orders them by how well their names answer it.
        """
        require_search_words(self._db.search.has_terms, query)
        understood = understand(query, self._known, self._sorted_known)
        index = self._db.search.entries
        async with self._db.read() as session:
            found = await index.search(
                session,
                understood.text(),
                kinds=kinds,
                limit=RERANK_WINDOW,
                any_term=True,
                snippets=False,  # for the page shown only, once ordered
                counted=False,  # every hit is reranked: their number is the total
            )
            slugs = await self._slugs(session, [hit.id for hit in found.hits])
            ids_of: dict[str, int] = {}
            candidates: list[tuple[Learning, float]] = []
            for hit in found.hits:
                entry = self._by_slug.get(slugs.get(hit.id, ""))
                if entry is not None:
                    candidates.append((entry, hit.score))
                    ids_of[entry.slug] = hit.id
            ranked = rerank(candidates, understood, self._words_of)
            pages, page = paginate(len(ranked), per_page, page)
            shown = page_of(ranked, per_page, page)
            snippets = await index.snippets(
                session, understood.text(), [ids_of[e.slug] for e, _ in shown], any_term=True
            )
        hits = tuple(
            SearchHit(
                e.slug,
                e.kind,
                e.title,
                snippet_markdown(snippets.get(ids_of[e.slug], ""), MARKS),
                score,
            )
            for e, score in shown
        )
        return SearchPage(shown_query(query), hits, len(ranked), page, pages)
