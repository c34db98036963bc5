"""The SQLite driver (bot.db.sqlite_driver): every statement in one call in aiosqlite's thread,
with what SQLAlchemy reads of a cursor (rows, description, rowcount, lastrowid, errors)
unchanged."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import IntegrityError, OperationalError

from bot.db.engine import Database
from bot.db.models import BotState
from bot.db.sqlite_driver import OneTripConnection, OneTripDbapi


@pytest.fixture
async def file_db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'driver.db'}")
    await database.upgrade()
    yield database
    await database.close()


@pytest.fixture
def trips(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The calls handed to aiosqlite's thread, by name, from now on."""
    calls: list[str] = []
    original = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(getattr(fn, "__name__", repr(fn)))
        return await original(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    return calls


def stamp() -> datetime:
    return datetime(2026, 12, 6, tzinfo=UTC)


async def test_the_engine_uses_the_one_trip_driver_for_aiosqlite(file_db: Database) -> None:
    assert isinstance(file_db.engine.dialect.dbapi, OneTripDbapi)
    async with file_db.engine.connect() as conn:
        raw = await conn.get_raw_connection()
        assert isinstance(raw.dbapi_connection, OneTripConnection)


async def test_a_statement_is_one_trip_to_the_thread(file_db: Database, trips: list[str]) -> None:
    async with file_db.read() as session:
        await session.execute(text("SELECT 1"))  # the connection checked out, the reads begun
        trips.clear()
        rows = (await session.execute(text("SELECT 1 AS a, 'x' AS b UNION SELECT 2, 'y'"))).all()
        assert trips == ["run"]
        assert [tuple(r) for r in rows] == [(1, "x"), (2, "y")]
        assert list(rows[0]._mapping) == ["a", "b"]  # from the cursor's description


async def test_writes_report_rowcount_and_lastrowid(file_db: Database) -> None:
    async with file_db.unit_of_work() as session:
        session.add_all([BotState(key=f"k{i}", value=str(i), updated_at=stamp()) for i in range(3)])
        await session.flush()  # executemany
        changed = await session.execute(
            update(BotState).where(BotState.key != "k0").values(value="changed")
        )
        assert changed.rowcount == 2  # type: ignore[attr-defined]
        inserted = await session.execute(
            text("INSERT INTO bot_state (key, value, updated_at) VALUES ('k9', 'v', :at)"),
            {"at": stamp()},
        )
        assert inserted.lastrowid  # type: ignore[attr-defined]
    async with file_db.read() as session:
        values = dict((await session.execute(select(BotState.key, BotState.value))).all())
    assert values == {"k0": "0", "k1": "changed", "k2": "changed", "k9": "v"}


async def test_errors_are_sqlalchemys_and_the_connection_stays_usable(file_db: Database) -> None:
    async with file_db.unit_of_work() as session:
        session.add(BotState(key="same", value="1", updated_at=stamp()))
    with pytest.raises(IntegrityError):
        async with file_db.unit_of_work() as session:
            session.add(BotState(key="same", value="2", updated_at=stamp()))
    with pytest.raises(OperationalError):
        async with file_db.read() as session:
            await session.execute(text("SELECT * FROM no_such_table"))
    for _ in range(8):  # more than the pool holds: every connection came back usable
        async with file_db.read() as session:
            assert await session.scalar(select(func.count()).select_from(BotState)) == 1
    async with file_db.read() as session:
        assert await session.scalar(select(BotState.value)) == "1"  # the failed write left none


async def test_streamed_results_still_work(file_db: Database) -> None:
    async with file_db.unit_of_work() as session:
        session.add_all(
            [BotState(key=f"s{i:03}", value="v", updated_at=stamp()) for i in range(250)]
        )
    async with file_db.read() as session:
        result = await session.stream(select(BotState.key).order_by(BotState.key))
        keys = [row.key async for row in result]
    assert keys == [f"s{i:03}" for i in range(250)]


async def test_a_read_is_handed_back_without_a_trip_and_writes_still_commit_or_roll_back(
    file_db: Database, trips: list[str]
) -> None:
    # The pool rolls back each connection handed back; after reads no transaction is open,
    # sqlite3 would do nothing, and the trip is skipped.
    async with file_db.read() as session:
        await session.execute(text("SELECT 1"))
    assert trips.count("rollback") == 0
    async with file_db.unit_of_work() as session:
        session.add(BotState(key="kept", value="1", updated_at=stamp()))
    assert trips.count("commit") == 1

    async def failing_action() -> None:
        async with file_db.unit_of_work() as session:
            session.add(BotState(key="dropped", value="1", updated_at=stamp()))
            await session.flush()  # written, in the open transaction
            raise RuntimeError("the action failed")

    with pytest.raises(RuntimeError):
        await failing_action()
    assert trips.count("rollback") == 1
    async with file_db.read() as session:
        await session.execute(text("BEGIN"))  # a transaction opened by hand is rolled back too
        await session.execute(text("INSERT INTO bot_state VALUES ('raw', '1', '2026-12-06')"))
    assert trips.count("rollback") == 2
    async with file_db.read() as session:
        keys = set((await session.scalars(select(BotState.key))).all())
    assert keys == {"kept"}


async def test_sessions_take_turns_at_the_pools_size_and_nested_ones_still_get_in(
    file_db: Database,
) -> None:
    # Fifty sessions at once open no more connections than the pool keeps; a session opened
    # inside another takes no turn (waiting for one could wait forever) and uses the overflow.
    import asyncio

    from sqlalchemy import event

    from bot.db.engine import SQLITE_POOL_SIZE

    out: set[int] = set()
    most = 0

    def checkout(dbapi: Any, _record: Any, _proxy: Any) -> None:
        nonlocal most
        out.add(id(dbapi))
        most = max(most, len(out))

    def checkin(dbapi: Any, _record: Any) -> None:
        out.discard(id(dbapi))

    event.listen(file_db.engine.sync_engine, "checkout", checkout)
    event.listen(file_db.engine.sync_engine, "checkin", checkin)

    async def read(nested: bool) -> int:
        async with file_db.read() as session:
            await session.scalar(text("SELECT 0"))  # holds its connection from here
            await asyncio.sleep(0.01)
            if nested:
                async with file_db.read() as inner:
                    return int(await inner.scalar(text("SELECT 2")) or 0)
            return int(await session.scalar(text("SELECT 1")) or 0)

    assert await asyncio.gather(*(read(False) for _ in range(50))) == [1] * 50
    assert most == SQLITE_POOL_SIZE
    most = 0
    nested = await asyncio.wait_for(
        asyncio.gather(*(read(True) for _ in range(SQLITE_POOL_SIZE * 2))), 10
    )
    assert nested == [2] * SQLITE_POOL_SIZE * 2
    assert most > SQLITE_POOL_SIZE  # the overflow served the inner sessions
