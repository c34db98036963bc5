"""The same operations at the service layer alone, the baselines a typical bot would use
(`LIKE '%term%'` scans, fuzzy matching over every row in Python), and the raw full-text queries
alone (the floor: FTS5 on SQLite, tsvector on PostgreSQL), measured in one process on the same
database and the same inputs."""

from __future__ import annotations

import asyncio
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
from bench.floors import Floors
from bench.stats import Summary, measure_async
from bench.workload import Workload, nth
from bot.db.engine import Database
from bot.errors import NexusError
from bot.learnings import LearningsService
from bot.learnings.sync import sync_content
from bot.qa import QaService, make_draft
from bot.specs import SpecsService
from bot.specs.lookup import like
from cogs.learnings.content import check_content

LIKE_RE = re.compile(r"\bLIKE\b")


def _words(query: str) -> list[str]:
    return [w for w in query.lower().split() if w][:6]


class Bench(Floors):
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
            # The two reads are asked together, as /search's first page asks them
            # (cogs/learnings/views.py, search_message).
            matched = asyncio.ensure_future(self.qa.answered_matches(guild, query))
            page = await self.learnings.search(query)
            hits = await matched
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
