"""The same operations at the service layer alone, the baselines a typical bot would use
(`LIKE '%term%'` scans, fuzzy matching over every row in Python), and the raw full-text queries
alone (the floor: FTS5 on SQLite, tsvector on PostgreSQL), measured in one process on the same
database and the same inputs."""

from __future__ import annotations

import json
import re
import sqlite3
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz, process
from sqlalchemy import text

from bench import postgres
from bench.stats import Summary, measure_async, measure_sync
from bench.workload import Workload, nth
from bot.db.engine import Database
from bot.db.search.postgresql import prefix_query as pg_prefix_query
from bot.db.search.postgresql import text_query as pg_text_query
from bot.db.search.sqlite import fts_query
from bot.errors import NexusError
from bot.learnings import LearningsService
from bot.learnings.sync import sync_content
from bot.qa import FTS_WEIGHTS, QaService, make_draft, prefix_query, similarity_query
from bot.qa import fts as qa_module
from bot.specs import SpecsService
from bot.specs.lookup import like
from cogs.learnings.content import check_content

LEARNING_WEIGHTS = "8.0, 6.0, 3.0, 4.0, 1.0"  # as bot/learnings/service.py ranks
LIKE_RE = re.compile(r"\bLIKE\b")


def _words(query: str) -> list[str]:
    return [w for w in query.lower().split() if w][:6]


class Bench:
    """Everything measured in-process against one database: the SQLite file `db_path`, or
    the PostgreSQL database of `url` (loaded from that file, see bench/postgres.py)."""

    def __init__(
        self, db_path: Path, guild_id: int, work: Workload, runs: int, url: str | None = None
    ) -> None:
        self.db_path = db_path
        self.guild_id = guild_id
        self.work = work
        self.runs = runs
        self.url = url or f"sqlite+aiosqlite:///{db_path}"
        self.postgres = postgres.is_postgres(self.url)
        self.db = Database(self.url)
        self.learnings = LearningsService(self.db)
        self.qa = QaService(self.db)
        self.specs = SpecsService(self.db)
        self.raw = sqlite3.connect(db_path)
        self.floor = postgres.PostgresFloor(self.url) if self.postgres else None
        self.outcomes: dict[str, dict[str, int]] = {}
        self.fallbacks: list[str] = []

    async def open(self) -> None:
        await self.learnings.refresh()
        if self.floor is not None:
            await self.floor.open()

    async def close(self) -> None:
        self.specs.close()
        self.raw.close()
        if self.floor is not None:
            await self.floor.close()
        await self.db.close()

    def _count(self, op: str, outcome: str) -> None:
        bucket = self.outcomes.setdefault(op, {})
        bucket[outcome] = bucket.get(outcome, 0) + 1

    # -- the service layer -------------------------------------------------------------------

    def service_ops(self) -> dict[str, Callable[[int], Awaitable[Any]]]:
        w, guild = self.work, self.guild_id

        async def concept(i: int) -> None:
            result = self.learnings.lookup(nth(w.concept_names, i), "concept")
            self._count("concept", type(result).__name__)

        async def concept_ac(i: int) -> None:
            self.learnings.suggest(nth(w.concept_typed, i), "concept")

        async def search(i: int) -> None:
            query = nth(w.searches, i)
            page = await self.learnings.search(query)
            hits = await self.qa.answered_matches(guild, query)
            self._count("search", "hits" if page.total or hits else "none")

        async def qa_search(i: int) -> None:
            page = await self.qa.search(guild, nth(w.qa_searches, i))
            self._count("qa search", "hits" if page.total else "none")

        async def qa_ac(i: int) -> None:
            await self.qa.suggest(guild, nth(w.qa_typed, i))

        async def ask_similar(i: int) -> None:
            d = nth(w.drafts, i)
            found = await self.qa.similar(guild, make_draft(d.title, d.details, d.tags))
            self._count("ask similar", "similar" if found else "none")

        async def spec_endpoint(i: int) -> None:
            spec, ref = nth(w.spec_refs, i)
            try:
                await self.specs.endpoint(guild, spec, ref)
                self._count("spec endpoint", "found")
            except NexusError:
                self._count("spec endpoint", "not found or ambiguous")

        async def spec_ac(i: int) -> None:
            spec, typed = nth(w.spec_typed, i)
            await self.specs.suggest_endpoints(guild, spec, typed)

        ops: dict[str, Callable[[int], Awaitable[Any]]] = {
            "concept": concept,
            "concept autocomplete": concept_ac,
            "search": search,
            "qa search": qa_search,
            "qa autocomplete": qa_ac,
            "ask similar": ask_similar,
        }
        if w.spec_refs:
            ops["spec endpoint"] = spec_endpoint
            ops["spec autocomplete"] = spec_ac
        return ops

    async def measure_services(self) -> dict[str, Summary]:
        return {
            name: await measure_async(call, self.runs) for name, call in self.service_ops().items()
        }

    # -- baselines: what a typical bot does ---------------------------------------------------

    async def _rows(self, sql: str, params: dict[str, Any]) -> list[Any]:
        if self.postgres:  # SQLite's LIKE ignores the case of ASCII letters: PostgreSQL's ILIKE
            sql = LIKE_RE.sub("ILIKE", sql)
        async with self.db.read() as session:
            return list((await session.execute(text(sql), params)).all())

    def baseline_ops(self) -> dict[str, dict[str, Callable[[int], Awaitable[Any]]]]:
        w, guild = self.work, self.guild_id

        def where_words(words: list[str], columns: list[str]) -> tuple[str, dict[str, str]]:
            clauses, params = [], {}
            for n, word in enumerate(words):
                params[f"w{n}"] = like(word)
                alts = " OR ".join(f"{c} LIKE :w{n} ESCAPE '\\'" for c in columns)
                clauses.append(f"({alts})")
            return " AND ".join(clauses) or "1 = 1", params

        def qa_where(words: list[str]) -> tuple[str, dict[str, str]]:
            clauses, params = [], {}
            for n, word in enumerate(words):
                params[f"w{n}"] = like(word)
                clauses.append(
                    f"(q.title LIKE :w{n} ESCAPE '\\' OR q.details LIKE :w{n} ESCAPE '\\' OR "
                    f"EXISTS (SELECT 1 FROM qa_answers a WHERE a.question_id = q.id "
                    f"AND a.body LIKE :w{n} ESCAPE '\\'))"
                )
            return " AND ".join(clauses) or "1 = 1", params

        async def like_qa_search(i: int) -> None:
            where, params = qa_where(_words(nth(w.qa_searches, i)))
            params_g: dict[str, Any] = {**params, "g": guild}
            base = f"FROM qa_questions q WHERE q.guild_id = :g AND {where}"
            await self._rows(f"SELECT count(*) {base}", params_g)
            await self._rows(f"SELECT q.id, q.title {base} ORDER BY q.created_at DESC LIMIT 5",
                             params_g)  # fmt: skip

        async def fuzzy_qa_search(i: int) -> None:
            rows = await self._rows(
                "SELECT id, title FROM qa_questions WHERE guild_id = :g", {"g": guild}
            )
            titles = [r.title for r in rows]
            process.extract(nth(w.qa_searches, i), titles, scorer=fuzz.WRatio,
                            limit=5)  # fmt: skip

        def search_sql(i: int, newest: bool) -> tuple[list[str], dict[str, Any]]:
            words = _words(nth(w.searches, i))
            where, params = where_words(words, ["title", "summary", "body"])
            qwhere, qparams = qa_where(words)
            tail = " ORDER BY q.created_at DESC LIMIT 3" if newest else ""
            return [
                f"SELECT slug, title FROM entries WHERE {where}" + (" LIMIT 5" if newest else ""),
                f"SELECT q.id, q.created_at FROM qa_questions q WHERE q.guild_id = :g AND "
                f"{qwhere} AND EXISTS (SELECT 1 FROM qa_answers a WHERE a.question_id = q.id)"
                + tail,
            ], {**params, **qparams, "g": guild}

        async def like_search(i: int) -> None:
            statements, params = search_sql(i, newest=False)
            for sql in statements:
                await self._rows(sql, params)

        async def like_newest_search(i: int) -> None:
            statements, params = search_sql(i, newest=True)
            for sql in statements:
                await self._rows(sql, params)

        async def like_concept(i: int) -> None:
            query = nth(w.concept_names, i).lower()
            await self._rows(
                "SELECT slug, title FROM entries WHERE kind = 'concept' AND "
                "(lower(title) LIKE :q ESCAPE '\\' "
                "OR lower(CAST(aliases AS TEXT)) LIKE :q ESCAPE '\\') "
                "LIMIT 25",
                {"q": like(query)},
            )

        async def fuzzy_concept(i: int) -> None:
            rows = await self._rows(
                "SELECT slug, title, aliases FROM entries WHERE kind = 'concept'", {}
            )
            aliases = [r.aliases if isinstance(r.aliases, list) else json.loads(r.aliases)
                       for r in rows]  # fmt: skip
            names = [n for r, more in zip(rows, aliases, strict=True) for n in (r.title, *more)]
            process.extract(nth(w.concept_names, i), names, scorer=fuzz.WRatio,
                            limit=5)  # fmt: skip

        async def like_concept_ac(i: int) -> None:
            typed = nth(w.concept_typed, i).lower()
            await self._rows(
                "SELECT slug, title FROM entries WHERE kind = 'concept' AND "
                "lower(title) LIKE :q ESCAPE '\\' ORDER BY title LIMIT 25",
                {"q": like(typed)},
            )

        async def fuzzy_concept_ac(i: int) -> None:
            rows = await self._rows("SELECT title FROM entries WHERE kind = 'concept'", {})
            process.extract(nth(w.concept_typed, i), [r.title for r in rows],
                            scorer=fuzz.WRatio, limit=25)  # fmt: skip

        async def like_qa_ac(i: int, newest: bool = False) -> None:
            typed = nth(w.qa_typed, i)
            await self._rows(
                "SELECT id, title, created_at FROM qa_questions WHERE guild_id = :g AND "
                "title LIKE :q ESCAPE '\\'"
                + (" ORDER BY created_at DESC LIMIT 25" if newest else ""),
                {"g": guild, "q": like(typed)},
            )

        async def like_newest_qa_ac(i: int) -> None:
            await like_qa_ac(i, newest=True)

        async def fuzzy_qa_ac(i: int) -> None:
            rows = await self._rows(
                "SELECT id, title FROM qa_questions WHERE guild_id = :g", {"g": guild}
            )
            process.extract(nth(w.qa_typed, i), [r.title for r in rows],
                            scorer=fuzz.WRatio, limit=25)  # fmt: skip

        async def like_similar(i: int, newest: bool = False) -> None:
            """Answered questions whose title has two of the draft's keywords."""
            d = nth(w.drafts, i)
            keywords = [k for k in _words(d.title) if len(k) > 3][:4] or _words(d.title)[:1]
            params = {f"k{n}": like(k) for n, k in enumerate(keywords)}
            hits = " + ".join(
                f"(CASE WHEN q.title LIKE :k{n} ESCAPE '\\' THEN 1 ELSE 0 END)"
                for n in range(len(keywords))
            )
            await self._rows(
                f"SELECT q.id, q.title FROM qa_questions q WHERE q.guild_id = :g "
                f"AND {hits} >= {min(2, len(keywords))} "
                "AND EXISTS (SELECT 1 FROM qa_answers a WHERE a.question_id = q.id)"
                + (" ORDER BY q.created_at DESC LIMIT 3" if newest else ""),
                {**params, "g": guild},
            )

        async def like_newest_similar(i: int) -> None:
            await like_similar(i, newest=True)

        async def fuzzy_similar(i: int) -> None:
            rows = await self._rows(
                "SELECT q.id, q.title FROM qa_questions q WHERE q.guild_id = :g AND "
                "EXISTS (SELECT 1 FROM qa_answers a WHERE a.question_id = q.id)",
                {"g": guild},
            )
            process.extract(nth(w.drafts, i).title, [r.title for r in rows],
                            scorer=fuzz.token_set_ratio, limit=3)  # fmt: skip

        async def spec_endpoints(
            columns: str, spec: str, matching: str | None = None, tail: str = ""
        ) -> list[Any]:
            """Columns of a spec's endpoints, narrowed by `tail` (`:q` is LIKE `matching`)."""
            params = {"g": guild, "s": spec}
            if matching is not None:
                params["q"] = like(matching)
            return await self._rows(
                f"SELECT {columns} FROM spec_endpoints e JOIN specs s ON s.id = e.spec_id "
                f"WHERE s.guild_id = :g AND s.name = :s{tail}",
                params,
            )

        async def like_spec(i: int) -> None:
            spec, ref = nth(w.spec_refs, i)
            await spec_endpoints(
                "e.key, e.detail", spec, ref, " AND e.key LIKE :q ESCAPE '\\' LIMIT 6"
            )

        async def fuzzy_spec(i: int) -> None:
            spec, ref = nth(w.spec_refs, i)
            rows = await spec_endpoints("e.key", spec)
            process.extract(ref, [r.key for r in rows], scorer=fuzz.WRatio, limit=1)

        async def like_spec_ac(i: int) -> None:
            spec, typed = nth(w.spec_typed, i)
            await spec_endpoints(
                "e.key, e.summary",
                spec,
                typed,
                " AND lower(e.key || ' ' || e.summary) LIKE :q ESCAPE '\\' LIMIT 25",
            )

        async def fuzzy_spec_ac(i: int) -> None:
            spec, typed = nth(w.spec_typed, i)
            rows = await spec_endpoints("e.key, e.summary", spec)
            process.extract(typed, [f"{r.key} {r.summary}" for r in rows], scorer=fuzz.WRatio,
                            limit=25)  # fmt: skip

        ops: dict[str, dict[str, Callable[[int], Awaitable[Any]]]] = {
            "concept": {"like": like_concept, "fuzzy": fuzzy_concept},
            "concept autocomplete": {"like": like_concept_ac, "fuzzy": fuzzy_concept_ac},
            "search": {"like": like_search, "like newest": like_newest_search},
            "qa search": {"like": like_qa_search, "fuzzy": fuzzy_qa_search},
            "qa autocomplete": {
                "like": like_qa_ac,
                "like newest": like_newest_qa_ac,
                "fuzzy": fuzzy_qa_ac,
            },
            "ask similar": {
                "like": like_similar,
                "like newest": like_newest_similar,
                "fuzzy": fuzzy_similar,
            },
        }
        if w.spec_refs:
            ops["spec endpoint"] = {"like": like_spec, "fuzzy": fuzzy_spec}
            ops["spec autocomplete"] = {"like": like_spec_ac, "fuzzy": fuzzy_spec_ac}
        return ops

    async def measure_baselines(self, budget_s: float) -> dict[str, dict[str, Summary]]:
        out: dict[str, dict[str, Summary]] = {}
        for name, kinds in self.baseline_ops().items():
            out[name] = {
                kind: await measure_async(call, self.runs, warmup=2, budget_s=budget_s)
                for kind, call in kinds.items()
            }
        return out

    # -- the floor: the FTS5 statements alone, no ORM, no async ------------------------------

    async def _floor_expressions(self) -> dict[str, list[str]]:
        """The MATCH expressions the services would run for the workload, computed once."""
        w = self.work
        drafts = [make_draft(d.title, d.details, d.tags) for d in w.drafts]
        similar: list[str] = []
        self.fallbacks = []
        for draft in drafts:
            if hasattr(self.qa, "similarity_expressions"):
                found = await self.qa.similarity_expressions(draft)
                similar.append(found[0] if found else "")
                self.fallbacks.append(found[1] or "" if found else "")
            else:  # the service before it picked the rarest keywords
                similar.append(similarity_query(draft) or "")
                self.fallbacks.append("")
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
        entries_ranked = (
            "SELECT rowid FROM entries_fts WHERE entries_fts MATCH ? "
            f"ORDER BY bm25(entries_fts, {LEARNING_WEIGHTS}) LIMIT 5"
        )

        def op(name: str) -> Callable[[int], Any]:
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
        similar: list[tuple[str, str]] = []
        for draft in drafts:
            found = await self.qa.similarity_expressions(draft)
            similar.append((found[0], found[1] or "") if found else ("", ""))
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
            first, every_pair = nth(similar, i)
            if not first:
                return
            found = await floor.questions(first, 3, qa_module.SIMILAR_WINDOW)
            if len(found) < 3 and every_pair:  # the pairs of common words
                await floor.questions(every_pair, 3, qa_module.SIMILAR_COMMON_WINDOW)

        return {
            "search": search,
            "qa search": qa_search,
            "qa autocomplete": qa_ac,
            "ask similar": ask_similar,
        }

    # -- sizes and content sync --------------------------------------------------------------

    async def database_sizes(self, questions: int) -> dict[str, Any]:
        """`sizes` of the database measured (SQLite file or PostgreSQL database)."""
        if self.postgres:
            return await postgres.sizes(self.url, questions)
        return self.sizes(questions)

    def sizes(self, questions: int) -> dict[str, Any]:
        self.raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        rows = self.raw.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name").fetchall()
        by_table = {name: int(size) for name, size in rows}
        qa = sum(v for k, v in by_table.items() if k.startswith(("qa_", "ix_qa_")))
        qa = qa + sum(v for k, v in by_table.items() if k.startswith("sqlite_autoindex_qa_"))
        total = self.db_path.stat().st_size
        return {
            "file_mb": round(total / 2**20, 2),
            "qa_mb": round(qa / 2**20, 2),
            "qa_fts_mb": round(
                sum(v for k, v in by_table.items() if k.startswith("qa_fts")) / 2**20, 2
            ),
            "qa_mb_per_10k_questions": round(qa / 2**20 / max(questions / 10_000, 1e-9), 2),
            "file_mb_per_10k_questions": round(total / 2**20 / max(questions / 10_000, 1e-9), 2),
        }

    async def content_sync_one_file(self, content_dir: Path) -> dict[str, Any]:
        """Change one learning on disk; time what a start-up then does about it."""
        target = sorted((content_dir / "concepts").glob("*.md"))[0]
        original = target.read_text(encoding="utf-8")
        target.write_text(original.rstrip("\n") + "\n\nEdited for the benchmark.\n", "utf-8")
        begin = time.perf_counter()
        report = check_content(content_dir)
        checked = time.perf_counter()
        sync = await sync_content(self.db, report.learnings)
        synced = time.perf_counter()
        await self.learnings.refresh()
        done = time.perf_counter()
        return {
            "file": target.name,
            "report": str(sync),
            "check_s": round(checked - begin, 4),
            "sync_s": round(synced - checked, 4),
            "refresh_s": round(done - synced, 4),
            "total_s": round(done - begin, 4),
        }
