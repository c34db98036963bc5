"""The benchmark on PostgreSQL: a fresh database per size, loaded from the generated SQLite one.

The data is generated once, into SQLite, exactly as for a SQLite run (and cached the same
way); `load` then copies every table of the product's schema into a new database on the
server (COPY through asyncpg, in foreign-key order), sets the id sequences past the copied
ids, and has `db.search` index every row in one statement per table (`rebuild`), as a bulk
load would. Both runs therefore measure the same rows.

`PostgresFloor` is the raw floor on PostgreSQL: the statements the search of
`bot.db.search.postgresql` ranks with, run alone through asyncpg (no ORM, no joins, no
headlines), with the tsquery the service builds (`Query.sql`).
"""

from __future__ import annotations

import re
import sqlite3
import uuid
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]  # no type information shipped
from sqlalchemy.engine import URL, make_url

from bot.db.engine import Database
from bot.db.models import Base
from bot.db.search.postgresql import ENTRY_WEIGHTS, QUESTION_WEIGHTS, Query

# Tables the product's migrations make that are not copied: the search tables are filled by
# `rebuild` (their tsvector columns are generated), Alembic's by the migrations.
NOT_COPIED = frozenset({"alembic_version", "entries_search", "qa_search"})
BATCH = 20_000
PARAM_RE = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


def is_postgres(url: str) -> bool:
    """Whether `url` names a PostgreSQL database."""
    return make_url(url).get_backend_name() == "postgresql"


def database_name(url: str) -> str:
    """The name of the database of `url`."""
    return make_url(url).database or ""


def asyncpg_url(url: str | URL) -> str:
    """A SQLAlchemy URL (`postgresql+asyncpg://...`) as asyncpg takes it (`postgresql://...`)."""
    parsed = make_url(url) if isinstance(url, str) else url
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


async def connect(url: str) -> asyncpg.Connection:
    """A raw asyncpg connection to the database of `url` (a SQLAlchemy URL)."""
    return await asyncpg.connect(asyncpg_url(url))


def positional(sql: str, params: dict[str, Any]) -> tuple[str, list[Any]]:
    """A statement with `:name` placeholders (SQLAlchemy's) -> `$n` ones and their values."""
    order: list[str] = []

    def number(found: re.Match[str]) -> str:
        name = found.group(1)
        if name not in order:
            order.append(name)
        return f"${order.index(name) + 1}"

    return PARAM_RE.sub(number, sql), [params[name] for name in order]


class Server:
    """The PostgreSQL server of `url`: its version, and databases made for the benchmark."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.made: list[str] = []

    async def _admin(self, sql: str) -> Any:
        conn = await connect(self.url)
        try:
            return await conn.fetchval(sql)
        finally:
            await conn.close()

    async def version(self) -> str:
        """`15.8`: the server's version."""
        shown = await self._admin("SHOW server_version")
        return str(shown).split()[0]

    async def fresh_database(self, label: str) -> str:
        """A new, empty database on the server (its SQLAlchemy URL)."""
        name = f"nexus_bench_{re.sub(r'[^a-z0-9]', '_', label.lower())}_{uuid.uuid4().hex[:8]}"
        await self._admin(f"CREATE DATABASE {name} TEMPLATE template0")
        self.made.append(name)
        return make_url(self.url).set(database=name).render_as_string(hide_password=False)

    async def drop(self, url: str) -> None:
        """Drop a database `fresh_database` made."""
        name = make_url(url).database
        if name in self.made:
            await self._admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            self.made.remove(name)


def _converter(data_type: str) -> Callable[[Any], Any]:
    """A value as SQLite holds it -> as asyncpg's COPY takes it for a column of `data_type`."""
    if data_type == "boolean":
        return lambda v: None if v is None else bool(v)
    if data_type.startswith("timestamp"):
        return lambda v: v if v is None or isinstance(v, datetime) else datetime.fromisoformat(v)
    if data_type == "date":
        return lambda v: v if v is None or isinstance(v, date) else date.fromisoformat(v)
    if data_type in ("double precision", "real"):
        return lambda v: None if v is None else float(v)
    return lambda v: v


async def _columns(conn: asyncpg.Connection) -> dict[str, list[tuple[str, str]]]:
    """The insertable columns (name, type) of every table of the public schema."""
    rows = await conn.fetch(
        "SELECT table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = 'public' AND is_generated = 'NEVER' "
        "ORDER BY table_name, ordinal_position"
    )
    out: dict[str, list[tuple[str, str]]] = {}
    for row in rows:
        out.setdefault(row["table_name"], []).append((row["column_name"], row["data_type"]))
    return out


async def load(
    source: Path, url: str, say: Callable[[str], None] = lambda _: None
) -> dict[str, int]:
    """Migrate the database of `url`, copy the rows of the SQLite file `source` into it and
    index them for search. Returns the rows copied per table."""
    db = Database(url)
    try:
        await db.upgrade()
    finally:
        await db.close()
    lite = sqlite3.connect(source)
    conn = await connect(url)
    copied: dict[str, int] = {}
    try:
        columns = await _columns(conn)
        in_source = {r[0] for r in lite.execute("SELECT name FROM sqlite_master")}
        order = [t.name for t in Base.metadata.sorted_tables]  # parents before children
        order += sorted(set(columns) - set(order))
        async with conn.transaction():
            for table in order:
                if table in NOT_COPIED or table not in columns or table not in in_source:
                    continue
                have = {r[1] for r in lite.execute(f"PRAGMA table_info({table})")}
                wanted = [(c, t) for c, t in columns[table] if c in have]
                names = [c for c, _ in wanted]
                convert = [_converter(t) for _, t in wanted]
                await conn.execute(f"TRUNCATE {table} CASCADE")  # rows a migration may add
                cursor = lite.execute(f"SELECT {', '.join(names)} FROM {table}")
                total = 0
                while rows := cursor.fetchmany(BATCH):
                    records = [tuple(f(v) for f, v in zip(convert, r, strict=True)) for r in rows]
                    await conn.copy_records_to_table(table, records=records, columns=names)
                    total += len(records)
                copied[table] = total
                for column in names:  # ids given by the copy: the next ones come after them
                    sequence = await conn.fetchval(
                        "SELECT pg_get_serial_sequence($1, $2)", table, column
                    )
                    if sequence:
                        await conn.execute(
                            f"SELECT setval('{sequence}', coalesce(max({column}), 0) + 1, "
                            f"false) FROM {table}"
                        )
        say(f"  copied {sum(copied.values()):,} rows of {len(copied)} tables to PostgreSQL")
    finally:
        lite.close()
        await conn.close()
    db = Database(url)
    try:
        async with db.unit_of_work() as session:
            await db.search.entries.rebuild(session)
            await db.search.questions.rebuild(session)
    finally:
        await db.close()
    conn = await connect(url)
    try:
        await conn.execute("VACUUM ANALYZE")  # as autovacuum would soon after a bulk load
    finally:
        await conn.close()
    say("  search indexes rebuilt, tables analysed")
    return copied


async def sizes(url: str, questions: int) -> dict[str, Any]:
    """The database's size and the Q&A tables' (with their indexes and search table)."""
    conn = await connect(url)
    try:
        total = await conn.fetchval("SELECT pg_database_size(current_database())")
        rows = await conn.fetch(
            "SELECT c.relname, pg_total_relation_size(c.oid) AS size FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind = 'r'"
        )
    finally:
        await conn.close()
    by_table = {r["relname"]: int(r["size"]) for r in rows}
    qa = sum(v for k, v in by_table.items() if k.startswith("qa_"))
    per_10k = max(questions / 10_000, 1e-9)
    return {
        "file_mb": round(int(total) / 2**20, 2),
        "qa_mb": round(qa / 2**20, 2),
        "qa_fts_mb": round(by_table.get("qa_search", 0) / 2**20, 2),
        "qa_mb_per_10k_questions": round(qa / 2**20 / per_10k, 2),
        "file_mb_per_10k_questions": round(int(total) / 2**20 / per_10k, 2),
    }


class PostgresFloor:
    """The ranking statements of PostgreSQL's search, alone, on one asyncpg connection."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.conn: asyncpg.Connection | None = None

    async def open(self) -> None:
        self.conn = await connect(self.url)

    async def close(self) -> None:
        if self.conn is not None:
            await self.conn.close()
            self.conn = None

    async def _fetch(self, sql: str, params: dict[str, Any]) -> list[Any]:
        assert self.conn is not None
        statement, args = positional(sql, params)
        return list(await self.conn.fetch(statement, *args))

    async def entries(self, match: str, limit: int) -> list[Any]:
        """The learnings `match` finds, best first (what /search ranks among them)."""
        tsquery, params = Query.decode(match).sql("q")
        return await self._fetch(
            f"SELECT s.id FROM entries_search s, (SELECT {tsquery} AS q) AS query "
            f"WHERE s.document @@ query.q "
            f"ORDER BY ts_rank('{ENTRY_WEIGHTS}', s.document, query.q) DESC, s.id LIMIT {limit}",
            params,
        )

    async def questions(self, match: str, limit: int, window: int) -> list[Any]:
        """The best `limit` of the newest `window` questions `match` finds."""
        query = Query.decode(match)
        tsquery, params = query.sql("q")
        column = query.column
        newest = (
            f"SELECT s.id, -ts_rank('{QUESTION_WEIGHTS}', s.{column}, query.q) AS score "
            f"FROM qa_search s, (SELECT {tsquery} AS q) AS query "
            f"WHERE s.{column} @@ query.q ORDER BY s.id DESC LIMIT {window}"
        )
        found = await self._fetch(
            f"SELECT id FROM ({newest}) n ORDER BY score, id DESC LIMIT {limit}",
            params,
        )
        if found or not query.prefix:
            return found
        # Autocomplete with no title matching: titles close to what was typed (trigrams).
        typed = " ".join(w for g in query.groups for w in g)
        if len(typed) < 3:
            return found
        close = (
            "SELECT s.id, word_similarity(:typed, lower(s.title)) AS likeness FROM qa_search s "
            f"WHERE :typed <% lower(s.title) ORDER BY s.id DESC LIMIT {window}"
        )
        return await self._fetch(
            f"SELECT id FROM ({close}) c ORDER BY likeness DESC, id DESC LIMIT {limit}",
            {"typed": typed},
        )
