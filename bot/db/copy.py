"""`python -m bot db copy --to URL`: every row of one database into another, in one run.

The way from SQLite to PostgreSQL (and back, or from one SQLite file to another). The target
is migrated to the newest revision first, then every model table is copied in foreign-key
order, in batches, inside one transaction on the target: a copy that fails leaves the target
as it was. Rows keep their ids, so PostgreSQL's sequences are moved past the highest id
copied. The full-text index is not copied (each database keeps its own kind): the target's
search (`db.search`) rebuilds it from the rows just copied, as the services index them.
Afterwards the rows of every table are counted on both sides, and a search must find what it
searched for.

The source is read in one read transaction (a consistent snapshot on both databases), then
counted again: a bot that wrote to it meanwhile (rows the copy does not hold) fails the copy
with a message to stop the bot and copy again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Integer, Table, delete, event, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, create_async_engine

from bot.db.engine import Database
from bot.db.migrate import current_revision, head_revision
from bot.db.models import Base, Entry, QaQuestion
from bot.db.search import QuestionFilter

BATCH_ROWS = 2000  # rows read and written at a time: a few MB at most (spec documents)
SEARCH_WINDOW = 50  # questions ranked by the check that the copy's search answers
# What a bot writes by itself when it starts on a database (the learnings synced from content/,
# its own state): a target holding only these holds no community data and is replaced without
# --force, so a bot may have started on the new database before the copy.
DERIVED = frozenset({"entries", "bot_state"})


class CopyError(RuntimeError):
    """A copy that cannot be made or did not come out whole; the message says why and what to
    do. `status` is the exit status the command line gives it.
    """

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True, slots=True)
class TableCount:
    """One table: rows in the source when read, rows copied, rows in the target after."""

    table: str
    source: int
    target: int

    @property
    def same(self) -> bool:
        """Whether the target holds as many rows as the source."""
        return self.source == self.target


@dataclass(frozen=True, slots=True)
class CopyReport:
    """What a copy did: per table counts, rows indexed for search, what the check searched."""

    tables: tuple[TableCount, ...]
    indexed: int
    searched: tuple[str, ...]
    seconds: float

    @property
    def rows(self) -> int:
        """Rows copied, all tables together."""
        return sum(t.target for t in self.tables)

    def table(self) -> str:
        """The counts as a plain-text table, one line per table, a total at the end."""
        width = max([len("table"), *(len(t.table) for t in self.tables)])
        lines = [f"{'table':<{width}}  {'source':>9}  {'target':>9}"]
        for t in self.tables:
            mark = "" if t.same else "  ✖ differs"
            lines.append(f"{t.table:<{width}}  {t.source:>9,}  {t.target:>9,}{mark}")
        total = sum(t.source for t in self.tables)
        lines.append(f"{'total':<{width}}  {total:>9,}  {self.rows:>9,}")
        return "\n".join(lines)


def tables() -> list[Table]:
    """Every model table, parents before the tables that point at them."""
    return list(Base.metadata.sorted_tables)


def describe(url: str) -> str:
    """A database address for a message: no password."""
    return make_url(url).render_as_string(hide_password=True)


def _snapshot_engine(url: str) -> AsyncEngine:
    """An engine whose transactions read one consistent snapshot of the source.

    SQLite's driver starts a transaction only at the first write, so every SELECT would see
    the latest data; a `BEGIN` at the start makes the reads one transaction (SQLAlchemy's
    recipe for pysqlite and aiosqlite). PostgreSQL: REPEATABLE READ, read only.
    """
    if make_url(url).get_backend_name() != "sqlite":
        return create_async_engine(
            url,
            hide_parameters=True,
            isolation_level="REPEATABLE READ",
            execution_options={"postgresql_readonly": True},
        )
    engine = create_async_engine(url, hide_parameters=True)

    @event.listens_for(engine.sync_engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # the driver's own transactions off
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN")

    return engine


async def _counts(connection: AsyncConnection | AsyncSession) -> dict[str, int]:
    """Rows per model table."""
    found = {}
    for table in tables():
        counted = await connection.scalar(select(func.count()).select_from(table))
        found[table.name] = int(counted or 0)
    return found


def _sqlite_file(url: str) -> Path | None:
    """The file of a SQLite database (None: another database, or one in memory)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database).resolve()


def _check_addresses(source_url: str, target_url: str) -> None:
    """Two different databases, the source one that exists."""
    source_file = _sqlite_file(source_url)
    if make_url(source_url) == make_url(target_url) or (
        source_file is not None and source_file == _sqlite_file(target_url)
    ):
        raise CopyError("the target is the source itself: give another database with --to", 2)
    if source_file is not None and not source_file.is_file():
        raise CopyError(f"there is no database at {source_file}: nothing to copy", 2)


async def _check_source(source: AsyncEngine, url: str) -> None:
    """The source is at the newest revision (its tables are the models')."""
    revision = await current_revision(source)
    head = head_revision()
    if revision is None:
        raise CopyError(f"{describe(url)} holds no Nexus database (no migration applied)", 2)
    if revision != head:
        raise CopyError(
            f"the source database is at revision {revision}, this Nexus writes {head}: bring "
            "it up to date first (python -m bot db upgrade), then copy",
            2,
        )


async def _clear(session: AsyncSession) -> None:
    """Empty every model table of the target (`--force`; the search index is rebuilt after)."""
    for table in reversed(tables()):
        await session.execute(delete(table))


async def _copy_table(source: AsyncConnection, target: AsyncSession, table: Table) -> int:
    """Every row of `table`, in primary-key order, `BATCH_ROWS` at a time; rows copied."""
    copied = 0
    result = await source.stream(select(table).order_by(*table.primary_key.columns))
    async for rows in result.mappings().partitions(BATCH_ROWS):
        await target.execute(table.insert(), [dict(row) for row in rows])
        copied += len(rows)
    return copied


async def _reset_sequences(session: AsyncSession) -> None:
    """Move each PostgreSQL sequence past the highest id copied (rows kept their ids)."""
    for table in tables():
        key = list(table.primary_key.columns)
        if len(key) != 1 or key[0].autoincrement is False or not isinstance(key[0].type, Integer):
            continue  # keyed by something else (a server's id, a name): no sequence
        name, column = table.name, key[0].name
        await session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{name}', '{column}'), "  # noqa: S608
                f"coalesce(max({column}), 0) + 1, false) FROM {name}"
            )
        )


async def _searches(target: Database) -> tuple[str, ...]:
    """Search the copy: a word of the first learning's title must find it, the newest
    question's title must find it; what was searched for.
    """
    searched = []
    async with target.read() as session:
        entry = await session.scalar(select(Entry).order_by(Entry.id).limit(1))
        if entry is not None:
            word = max(entry.title.split(), key=len)
            found = await target.search.entries.search(session, word, limit=10_000, snippets=False)
            if entry.id not in {hit.id for hit in found.hits}:
                raise CopyError(
                    f"the copy's search does not find the learning {entry.slug!r} by the word "
                    f"{word!r} of its title: the rows are copied but its index is not whole"
                )
            searched.append(word)
        question = await session.scalar(select(QaQuestion).order_by(QaQuestion.id.desc()).limit(1))
        if question is not None:
            where = QuestionFilter(question.guild_id)
            found_page = await target.search.questions.search(
                session, question.title, where, window=SEARCH_WINDOW, page=1, per_page=SEARCH_WINDOW
            )
            if question.id not in {hit.id for hit in found_page.hits}:
                raise CopyError(
                    f"the copy's search does not find question #{question.id} by its title: "
                    "the rows are copied but its index is not whole"
                )
            searched.append(question.title)
    return tuple(searched)


async def copy_database(
    source_url: str,
    target_url: str,
    *,
    force: bool = False,
    progress: Callable[[str], None] = lambda _: None,
) -> CopyReport:
    """Copy every row of the database at `source_url` into the one at `target_url` (migrated
    to the newest revision first), index it for search there, and check the copy.

    Refused (CopyError, status 2) when the target holds a community's rows, unless `force`:
    then they are replaced (as are the rows a bot writes by itself at start, `DERIVED`).
    Raises CopyError (status 1) when the copy does not come out whole.
    """
    _check_addresses(source_url, target_url)
    started = time.monotonic()
    reader = _snapshot_engine(source_url)
    target = Database(target_url)
    try:
        await _check_source(reader, source_url)
        progress(f"migrating {describe(target_url)} to the newest revision")
        await target.upgrade()
        async with target.read() as session:
            held = {name: n for name, n in (await _counts(session)).items() if n}
        community = {name: n for name, n in held.items() if name not in DERIVED}
        if community and not force:
            listed = ", ".join(f"{name} ({n:,})" for name, n in sorted(community.items()))
            raise CopyError(
                f"{describe(target_url)} is not empty: it holds rows in {listed}. Copy into an "
                "empty database, or pass --force to replace what it holds",
                2,
            )
        copied: dict[str, int] = {}
        async with reader.connect() as snapshot, snapshot.begin():
            source_counts = await _counts(snapshot)
            async with target.unit_of_work() as session:
                if held:
                    progress("emptying the target" + (" (--force)" if community else ""))
                    await _clear(session)
                for table in tables():
                    copied[table.name] = await _copy_table(snapshot, session, table)
                    progress(f"copied {table.name}: {copied[table.name]:,} rows")
                if not target.is_sqlite:
                    await _reset_sequences(session)
                await target.search.entries.rebuild(session)
                await target.search.questions.rebuild(session)
                indexed = copied[Entry.__tablename__] + copied[QaQuestion.__tablename__]
                progress(f"indexed {indexed:,} learnings and questions for search")
        async with target.read() as session:
            after = await _counts(session)
        counts = tuple(TableCount(t.name, source_counts[t.name], after[t.name]) for t in tables())
        differ = [c for c in counts if not c.same or copied[c.table] != c.source]
        if differ:
            listed = ", ".join(f"{c.table} ({c.source:,} → {c.target:,})" for c in differ)
            raise CopyError(f"the copy's row counts differ from the source's: {listed}")
        searched = await _searches(target)
        async with reader.connect() as now:
            later = await _counts(now)
        moved = [name for name, n in later.items() if n != source_counts[name]]
        if moved:
            raise CopyError(
                f"the source changed while it was copied (rows of {', '.join(moved)}): the copy "
                "holds the database as it was when the copy began. Stop the bot (every "
                "process), then copy again with --force"
            )
    finally:
        await reader.dispose()
        await target.close()
    return CopyReport(counts, indexed, searched, time.monotonic() - started)
