from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select, text
from sqlalchemy.engine import Connection

from bot.db.engine import BUSY_TIMEOUT_MS, Database
from bot.db.migrate import current_revision, head_revision
from bot.db.models import Base, BotState, Entry, GuildSettings, QaQuestion
from bot.db.search import (
    EntryText,
    QuestionFilter,
    QuestionText,
    search_for,
)
from bot.db.search.postgresql import PostgresSearch
from bot.db.search.sqlite import SqliteSearch


def _is_full_text(obj: Any, name: str | None, type_: str) -> bool:
    """SQLite's FTS5 tables and PostgreSQL's search tables (not models) and their indexes."""
    table = obj.table.name if type_ == "index" else name if type_ == "table" else None
    return table is not None and ("_fts" in table or table.endswith("_search"))


def _diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(
        connection,
        opts={
            "compare_type": True,
            "include_object": lambda obj, name, type_, *_: not _is_full_text(obj, name, type_),
        },
    )
    return list(compare_metadata(context, Base.metadata))


async def test_migrations_give_exactly_the_models_schema(db: Database) -> None:
    async with db.engine.connect() as conn:
        differences = await conn.run_sync(_diff)
    assert differences == []
    assert await current_revision(db.engine) == head_revision()


async def test_models_list_the_columns_in_the_order_of_the_tables(db: Database) -> None:
    def columns(conn: Connection) -> dict[str, list[str]]:
        inspector = inspect(conn)
        return {t: [c["name"] for c in inspector.get_columns(t)] for t in Base.metadata.tables}

    async with db.engine.connect() as conn:
        migrated = await conn.run_sync(columns)
    modelled = {name: [c.name for c in t.columns] for name, t in Base.metadata.tables.items()}
    assert modelled == migrated


async def test_upgrade_is_idempotent(db: Database) -> None:
    await db.upgrade()
    assert await current_revision(db.engine) == head_revision()


@pytest.mark.sqlite
@pytest.mark.parametrize(
    ("pragma", "expected"),
    [
        ("journal_mode", "wal"),
        ("foreign_keys", 1),
        ("busy_timeout", BUSY_TIMEOUT_MS),
        ("synchronous", 1),
    ],
)
async def test_every_connection_is_tuned(db: Database, pragma: str, expected: object) -> None:
    async with db.engine.connect() as conn:
        value = (await conn.execute(text(f"PRAGMA {pragma}"))).scalar_one()
    assert value == expected


@pytest.mark.sqlite
async def test_two_processes_opening_a_new_file_together_both_get_in(tmp_path: Path) -> None:
    """Both switch the new file to WAL at once; SQLite refuses one without waiting (each holds
    the lock the other needs). The refused one tries again instead of failing the start-up.
    """

    async def open_and_read(path: Path) -> None:
        db = Database(f"sqlite+aiosqlite:///{path}")
        try:
            async with db.engine.connect() as conn:
                assert (await conn.execute(text("PRAGMA journal_mode"))).scalar_one() == "wal"
        finally:
            await db.close()

    for attempt in range(300):  # the refusal came about once in 30 to 40 pairs
        path = tmp_path / f"{attempt}.db"
        await asyncio.gather(open_and_read(path), open_and_read(path))


async def test_datetimes_come_back_aware_in_utc(db: Database) -> None:
    nairobi = timezone(timedelta(hours=3))
    stamp = datetime(2026, 3, 29, 9, 30, tzinfo=nairobi)
    async with db.unit_of_work() as session:
        session.add(BotState(key="k", value="v", updated_at=stamp))
    async with db.read() as session:
        row = await session.scalar(select(BotState).where(BotState.key == "k"))
    assert row is not None
    assert row.updated_at.tzinfo is UTC
    assert row.updated_at == stamp


async def test_naive_datetimes_are_refused(db: Database) -> None:
    with pytest.raises(Exception, match="naive datetime"):
        async with db.unit_of_work() as session:
            session.add(BotState(key="n", value="v", updated_at=datetime(2026, 1, 1)))


async def test_unit_of_work_is_all_or_nothing(db: Database) -> None:
    async def half_written() -> None:
        async with db.unit_of_work() as session:
            session.add(GuildSettings(guild_id=2**63 - 1, timezone="UTC"))
            await session.flush()
            raise RuntimeError("fails half-way")

    with pytest.raises(RuntimeError):
        await half_written()
    async with db.read() as session:
        assert (await session.scalar(select(GuildSettings))) is None


async def test_sqlite_file_and_folder_are_created(tmp_path: Any) -> None:
    path = tmp_path / "deep" / "folder" / "nexus.db"
    database = Database(f"sqlite+aiosqlite:///{path}")
    try:
        await database.upgrade()
        assert path.is_file()
        assert await database.ping()
    finally:
        await database.close()


async def test_sessions_get_a_connection_in_arrival_order(db: Database) -> None:
    """A member who waited for the database is not overtaken by one who just arrived."""
    from bot.db.engine import SQLITE_POOL_OVERFLOW, SQLITE_POOL_SIZE

    release = asyncio.Event()
    served: list[str] = []

    async def hold() -> None:
        async with db.read() as session:
            await session.execute(text("SELECT 1"))
            await release.wait()

    async def use(name: str) -> None:
        async with db.read() as session:
            served.append(name)
            await session.execute(text("SELECT 1"))

    holders = [asyncio.create_task(hold()) for _ in range(SQLITE_POOL_SIZE + SQLITE_POOL_OVERFLOW)]
    await asyncio.sleep(0.05)
    waiting = [asyncio.create_task(use(f"waited {n}")) for n in range(10)]
    await asyncio.sleep(0.05)
    release.set()  # the connections come back while someone new asks for one
    late = asyncio.create_task(use("late"))
    await asyncio.wait_for(asyncio.gather(*holders, *waiting, late), 10)
    assert served == [f"waited {n}" for n in range(10)] + ["late"]


# -- full-text search, through the one interface the services use ---------------------------


def test_search_is_chosen_by_dialect(db: Database) -> None:
    chosen = SqliteSearch if db.is_sqlite else PostgresSearch
    assert isinstance(db.search, chosen)
    assert db.search is db.search  # one per database
    with pytest.raises(ValueError, match="mysql"):
        search_for("mysql")


async def test_entry_index_is_written_searched_and_forgotten(db: Database) -> None:
    entries = db.search.entries
    async with db.unit_of_work() as session:
        for eid, kind in [(1, "concept"), (2, "tip")]:
            session.add(
                Entry(
                    id=eid,
                    slug=f"e{eid}",
                    kind=kind,
                    title="t",
                    topic="python",
                    summary="s",
                    body="b",
                    source_path="p",
                    content_hash="h",
                )
            )
        await session.flush()
        await entries.put(session, EntryText(1, "Celery retries", ("retry",), (), "Retry.", "x"))
        await entries.put(session, EntryText(2, "Redis caching", (), ("cache",), "Cache.", "y"))
        await entries.put(session, EntryText(2, "Redis pub/sub", (), (), "Channels.", "z"))
    async with db.read() as session:
        found = await entries.search(session, "celery NOT redis", limit=5)  # no operators
        assert ([h.id for h in found.hits], found.total) == ([1, 2], 2)  # any word
        assert found.hits[0].snippet == "x"  # the body's: the title is shown above it
        assert (await entries.search(session, "caching", limit=5)).total == 0  # replaced
        assert (await entries.search(session, "!!", limit=5)).total == 0
        tips = await entries.search(session, "celery redis", kinds=["tip"], limit=5)
        assert [h.id for h in tips.hits] == [2]
    async with db.unit_of_work() as session:
        await entries.remove(session, [1, 99])
    async with db.read() as session:
        assert (await entries.search(session, "celery", limit=5)).total == 0


async def test_question_index_filters_ranks_and_suggests(db: Database) -> None:
    async with db.unit_of_work() as session:
        for qid, guild, title in [(1, 1, "Celery retry"), (2, 1, "Celery beat"), (3, 2, "Celery")]:
            session.add(QaQuestion(id=qid, guild_id=guild, title=title, details="d", tags=["py"]))
        await session.flush()
        for qid, title in [(1, "Celery retry"), (2, "Celery beat"), (3, "Celery")]:
            await db.search.questions.put(session, QuestionText(qid, title, "d", ["py"], ["a"]))
    questions = db.search.questions
    async with db.read() as session:
        page = await questions.search(
            session, "celery", QuestionFilter(1), window=10, page=9, per_page=1
        )
        assert (page.total, page.page, [h.id for h in page.hits]) == (2, 2, [1])  # last page
        tagged = QuestionFilter(1, tag="go")
        assert (
            await questions.search(session, "celery", tagged, window=10, page=1, per_page=5)
        ).total == 0
        typed = await questions.suggest(session, "cel", QuestionFilter(1), window=10, limit=5)
        assert typed == [2, 1]  # ranked equal: the newest first
        assert await questions.count(session, "celery") == 3
        similar = await questions.similar(
            session, ["celery", "beat"], QuestionFilter(1), title_window=10, window=10, limit=3
        )
        assert [h.id for h in similar] == [2]
    assert questions.similar_query(["a", "b"], frozenset({"a", "b"})) is None


async def test_rebuilt_indexes_search_as_written_ones(db: Database) -> None:
    async with db.unit_of_work() as session:
        session.add(
            Entry(
                id=1,
                slug="e1",
                kind="concept",
                title="Celery retries",
                topic="python",
                aliases=["retry", "backoff"],
                tags=["celery"],
                summary="Retry.",
                body="Use autoretry_for.",
                source_path="p",
                content_hash="h",
            )
        )
        session.add(QaQuestion(id=1, guild_id=1, title="Celery beat", details="d", tags=["py"]))
        await session.flush()
        await db.search.entries.rebuild(session)
        await db.search.questions.rebuild(session)
    async with db.read() as session:
        found = await db.search.entries.search(session, "backoff", limit=5)
        assert [h.id for h in found.hits] == [1]
        page = await db.search.questions.search(
            session, "py beat", QuestionFilter(1), window=10, page=1, per_page=5
        )
        assert [h.id for h in page.hits] == [1]
