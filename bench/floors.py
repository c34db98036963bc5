"""The floor: the raw full-text statements alone, without the services, the ORM or (on
SQLite) async: FTS5 on SQLite, the tsquery the search builds on PostgreSQL (bench/postgres.py).
What a full-stack figure is compared with (`Bench` measures them on its database)."""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable
from typing import Any

from bench.postgres import PostgresFloor
from bench.stats import Summary, measure_async, measure_sync
from bench.workload import Workload, nth
from bot.db.search.postgresql import prefix_query as pg_prefix_query
from bot.db.search.postgresql import text_query as pg_text_query
from bot.db.search.sqlite import fts_query
from bot.qa import FTS_WEIGHTS, QaService, make_draft, prefix_query, similarity_query
from bot.qa import fts as qa_module

LEARNING_WEIGHTS = "8.0, 6.0, 3.0, 4.0, 1.0"  # as bot/learnings/service.py ranks


class Floors:
    """The floor measurements of `Bench` (bench/service.py), on its database and inputs."""

    raw: sqlite3.Connection
    qa: QaService
    work: Workload
    runs: int
    postgres: bool
    floor: PostgresFloor | None
    fallbacks: list[str]
    similar_titles: list[tuple[str, str]]  # the titles-and-tags queries of each draft

    # -- the floor: the FTS5 statements alone, no ORM, no async ------------------------------

    async def _floor_expressions(self) -> dict[str, list[str]]:
        """The MATCH expressions the services would run for the workload, computed once."""
        w = self.work
        drafts = [make_draft(d.title, d.details, d.tags) for d in w.drafts]
        similar: list[str] = []
        self.fallbacks = []
        self.similar_titles = []
        for draft in drafts:
            titles = common_titles = ""
            if hasattr(self.qa, "similarity_expressions"):
                found = await self.qa.similarity_expressions(draft)
                if found is None:
                    similar.append("")
                    self.fallbacks.append("")
                else:  # titles and tags first
                    similar.append(found.first)
                    self.fallbacks.append(found.every_pair or "")
                    titles, common_titles = found.titles, found.common_titles or ""
            else:  # the service before it picked the rarest keywords
                similar.append(similarity_query(draft) or "")
                self.fallbacks.append("")
            self.similar_titles.append((titles, common_titles))
        return {
            "search": [fts_query(q) or "" for q in w.searches],
            "qa search": [fts_query(q) or "" for q in w.qa_searches],
            "qa autocomplete": [prefix_query(t) or "" for t in w.qa_typed],
            "ask similar": similar,
        }

    def _ranking_statement(
        self, limit: int, window: int | None, table: str = "qa_fts", weights: str = FTS_WEIGHTS
    ) -> Callable[[str], Any]:
        """What the Q&A service asks FTS5 to rank: the newest `window` matches (the current
        service) or every match (the service before the window)."""
        if window is None:
            sql = (
                f"SELECT rowid FROM {table} WHERE {table} MATCH ? "
                f"ORDER BY bm25({table}, {weights}) LIMIT {limit}"
            )
            return lambda expression: self.raw.execute(sql, (expression,)).fetchall()
        windowed = (
            f"SELECT rowid, bm25({table}, {weights}) FROM {table} WHERE {table} MATCH ? "
            f"ORDER BY rowid DESC LIMIT {window}"
        )

        def run(expression: str) -> Any:
            rows = self.raw.execute(windowed, (expression,)).fetchall()
            return sorted(rows, key=lambda r: r[1])[:limit]

        return run

    async def floor_ops(self) -> dict[str, Callable[[int], Any]]:
        expressions = await self._floor_expressions()
        raw = self.raw
        rank_window = getattr(qa_module, "RANK_WINDOW", None)
        windows = {
            "search": getattr(qa_module, "TOP_WINDOW", None),
            "qa search": rank_window,
            "qa autocomplete": getattr(qa_module, "SUGGEST_WINDOW", None),
            "ask similar": getattr(qa_module, "SIMILAR_WINDOW", None),
        }
        limits = {"search": 3, "qa search": 5, "qa autocomplete": 25, "ask similar": 3}
        statements = {op: self._ranking_statement(limits[op], windows[op]) for op in limits}
        titles = self.raw.execute(
            "SELECT 1 FROM sqlite_master WHERE name = 'qa_titles_fts'"
        ).fetchone()
        if titles is not None:  # autocomplete has its own index of titles and tags
            statements["qa autocomplete"] = self._ranking_statement(
                25, windows["qa autocomplete"], "qa_titles_fts", qa_module.TITLE_WEIGHTS
            )
        common_window = getattr(qa_module, "SIMILAR_COMMON_WINDOW", None)
        fallback = self._ranking_statement(3, common_window)
        title_window = getattr(qa_module, "SIMILAR_TITLE_WINDOW", None)
        title_weights = getattr(qa_module, "TITLE_WEIGHTS", "")

        def similar_titles(expression: str, window: int | None) -> Any:
            return self._ranking_statement(3, window, "qa_titles_fts", title_weights)(expression)

        def ask_similar(i: int) -> None:
            """Titles and tags first, then titles, details and tags; the same for the pairs
            of common words when too few were found (as `QaService.similar` asks)."""
            first, every_pair = nth(expressions["ask similar"], i), nth(self.fallbacks, i)
            titles, common_titles = nth(self.similar_titles, i)
            if not first:
                return
            found = similar_titles(titles, title_window) if titles else []
            if len(found) < 3:
                found += statements["ask similar"](first)
            if len(found) < 3 and every_pair:  # the pairs of common words
                if common_titles:
                    found += similar_titles(common_titles, common_window)
                if len(found) < 3:
                    fallback(every_pair)

        entries_ranked = (
            "SELECT rowid FROM entries_fts WHERE entries_fts MATCH ? "
            f"ORDER BY bm25(entries_fts, {LEARNING_WEIGHTS}) LIMIT 5"
        )

        def op(name: str) -> Callable[[int], Any]:
            if name == "ask similar" and title_window is not None:
                return ask_similar
            listed = expressions[name]
            statement = statements[name]

            def call(i: int) -> None:
                expression = nth(listed, i)
                if not expression:
                    return
                if name == "search":
                    raw.execute(entries_ranked, (expression,)).fetchall()
                found = statement(expression)
                if name == "ask similar" and len(found) < 3 and self.fallbacks[i % len(listed)]:
                    fallback(self.fallbacks[i % len(listed)])  # the pairs of common words

            return call

        return {name: op(name) for name in limits}

    async def measure_floors(self) -> dict[str, Summary]:
        if self.postgres:
            calls = await self.postgres_floor_ops()
            return {name: await measure_async(call, self.runs) for name, call in calls.items()}
        ops = await self.floor_ops()
        return {name: measure_sync(call, self.runs) for name, call in ops.items()}

    async def postgres_floor_ops(self) -> dict[str, Callable[[int], Awaitable[Any]]]:
        """The floor on PostgreSQL: the tsquery the service builds for each input, ranked by
        the statements of bot/db/search/postgresql.py alone (bench/postgres.py)."""
        assert self.floor is not None
        floor, w = self.floor, self.work
        drafts = [make_draft(d.title, d.details, d.tags) for d in w.drafts]
        similar: list[tuple[str, str, str, str]] = []
        for draft in drafts:
            found = await self.qa.similarity_expressions(draft)
            similar.append(
                (found.titles, found.first, found.common_titles or "", found.every_pair or "")
                if found
                else ("", "", "", "")
            )
        searches = [pg_text_query(q) or "" for q in w.searches]
        qa_searches = [pg_text_query(q) or "" for q in w.qa_searches]
        typed = [pg_prefix_query(t) or "" for t in w.qa_typed]

        async def search(i: int) -> None:
            match = nth(searches, i)
            if match:
                await floor.entries(match, 5)
                await floor.questions(match, 3, qa_module.TOP_WINDOW)

        async def qa_search(i: int) -> None:
            match = nth(qa_searches, i)
            if match:
                await floor.questions(match, 5, qa_module.RANK_WINDOW)

        async def qa_ac(i: int) -> None:
            match = nth(typed, i)
            if match:
                await floor.questions(match, 25, qa_module.SUGGEST_WINDOW)

        async def ask_similar(i: int) -> None:
            titles, first, common_titles, every_pair = nth(similar, i)
            if not first:
                return
            found = await floor.questions(titles, 3, qa_module.SIMILAR_TITLE_WINDOW)
            if len(found) < 3:
                found += await floor.questions(first, 3, qa_module.SIMILAR_WINDOW)
            if len(found) < 3 and every_pair:  # the pairs of common words
                found += await floor.questions(common_titles, 3, qa_module.SIMILAR_COMMON_WINDOW)
                if len(found) < 3:
                    await floor.questions(every_pair, 3, qa_module.SIMILAR_COMMON_WINDOW)

        return {
            "search": search,
            "qa search": qa_search,
            "qa autocomplete": qa_ac,
            "ask similar": ask_similar,
        }
