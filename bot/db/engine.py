"""One async engine per process, with SQLite tuned on every connection."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import shutil
import sqlite3
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from functools import cached_property
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.util import await_only

from bot.db.file import DatabaseFile
from bot.db.search import Search, search_for
from bot.db.sqlite_driver import one_trip_dbapi

log = logging.getLogger(__name__)

# Below Discord's 3 s to answer an interaction: a writer that waits this long for the lock and
# gives up still has time to tell the user to retry.
BUSY_TIMEOUT_MS = 2000
# Start-up work that several processes may do at once (migrations, the first content sync)
# waits this long for another process doing the same before it gives up.
STARTUP_WAIT_MS = 60_000
WAL_SWITCH_RETRY_S = 0.02
# SQLite connections are threads with their own page cache (up to 2 MB each): a few readers
# keep two cores busy; fifteen (SQLAlchemy's default 5 + 10) only cost memory under load.
# Sessions take turns at the pool's size; the overflow is for sessions opened inside another.
# (Taking turns at size + overflow opened six connections under load: 5 MB more, no faster.)
SQLITE_POOL_SIZE = 4
SQLITE_POOL_OVERFLOW = 2
# Pages of each full-text table merged per transaction by `tidy_search` (about 1 MB: at 100k
# questions a step holds the write lock 80 ms at most).
MERGE_PAGES = 250
# PostgreSQL serves each connection from its own server process: a few more than SQLite's,
# checked before use (a server restarted under the bot only costs a reconnect).
POSTGRES_POOL_SIZE = 8
POSTGRES_POOL_OVERFLOW = 4
POSTGRES_CONNECT_TIMEOUT_S = 10
# The advisory lock start-up work takes on PostgreSQL (migrations, the content sync): one
# process at a time, whatever else the database serves.
STARTUP_LOCK = 0x4E455855  # "NEXU"

# Whether this task (or the task that started it) holds a turn at the database already.
_in_turn: ContextVar[bool] = ContextVar("nexus_db_turn", default=False)


def _tune_sqlite(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        # First: the journal mode below waits for a lock on a database another process is
        # creating; without a busy timeout it fails at once with "database is locked".
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        _switch_to_wal(cursor)
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # Deleted text is overwritten, not left in free pages: forget-me means gone from disk.
        cursor.execute("PRAGMA secure_delete=ON")
    finally:
        cursor.close()


def _switch_to_wal(cursor: Any) -> None:
    """Put the file in WAL mode. Two processes opening a brand-new file together both try to
    switch it, and SQLite refuses one of them at once, without waiting ("database is locked":
    each holds the lock the other needs). Once the other has switched it, this is a no-op:
    try again, briefly, until then.
    """
    deadline = time.monotonic() + STARTUP_WAIT_MS / 1000
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            await_only(asyncio.sleep(WAL_SWITCH_RETRY_S))  # the event loop goes on meanwhile


def _nul_free(row: Any) -> Any:
    """One statement's parameters (a tuple or a mapping) with NUL taken out of their text."""
    values = row.values() if isinstance(row, dict) else row
    if not any(isinstance(v, str) and "\x00" in v for v in values):
        return row
    if isinstance(row, dict):
        return {k: v.replace("\x00", "") if isinstance(v, str) else v for k, v in row.items()}
    return type(row)(v.replace("\x00", "") if isinstance(v, str) else v for v in row)


def _without_nul(
    _conn: Any,
    _cursor: Any,
    statement: str,
    parameters: Any,
    _context: Any,
    executemany: bool,
) -> tuple[str, Any]:
    """PostgreSQL's text cannot hold a NUL character (SQLite's can): a NUL in what is written
    (an imported document's summary, say; members' text has its control characters removed
    already) is left out rather than failing the whole write.
    """
    if executemany:
        # Rows, each a tuple or a mapping; or, for a batch of "insert many values" (an INSERT
        # of many rows with RETURNING), one flat list of every row's values in turn.
        return statement, [
            _nul_free(row) if isinstance(row, tuple | list | dict) else _nul_free((row,))[0]
            for row in parameters
        ]
    return statement, _nul_free(parameters)


async def hold_write_lock(connection: AsyncConnection) -> None:
    """Take the database's write lock now, for the rest of `connection`'s transaction.

    SQLite starts a transaction only at its first write (pysqlite's default), so what a unit of
    work reads first may change under it; `BEGIN IMMEDIATE` takes the lock before anything is
    read, waiting up to STARTUP_WAIT_MS for another process's start-up to finish. PostgreSQL
    locks rows as they are written; start-up work takes a transaction-long advisory lock
    instead, so two processes starting together take turns.
    """
    if connection.dialect.name == "postgresql":
        await connection.exec_driver_sql(f"SET LOCAL lock_timeout = {STARTUP_WAIT_MS}")
        await connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({STARTUP_LOCK})")
        return
    if connection.dialect.name != "sqlite":
        return
    await connection.exec_driver_sql(f"PRAGMA busy_timeout={STARTUP_WAIT_MS}")
    try:
        await connection.exec_driver_sql("BEGIN IMMEDIATE")
    finally:
        await connection.exec_driver_sql(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")


async def take_turn(session: AsyncSession, *key: object) -> None:
    """Hold, until `session`'s transaction ends, the one turn of everything that calls this
    with the same `key` (e.g. one member's cooldown): a check made after a write then sees
    the rows of the writers before it.

    SQLite has one writer at a time already: a transaction that wrote holds the database's
    write lock. PostgreSQL writes concurrently, so the turn is a transaction-long advisory
    lock on a 64-bit hash of the key.
    """
    connection = await session.connection()
    if connection.dialect.name != "postgresql":
        return
    digest = hashlib.blake2b(repr(key).encode(), digest_size=8).digest()
    lock = int.from_bytes(digest, "big", signed=True)
    await session.execute(text("SELECT pg_advisory_xact_lock(:lock)"), {"lock": lock})


class Database:
    """The engine and session factory; `unit_of_work()` is one transaction, all or nothing.

    `search` is the full-text search of this kind of database (`bot.db.search`).
    """

    def __init__(self, url: str) -> None:
        parsed = make_url(url)
        self.url = url
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        if self.is_sqlite and parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # Statement parameters are members' text (titles, answers, notes): never in an error
        # message or a log line.
        options: dict[str, Any] = {"hide_parameters": True}
        self._turns = 0  # sessions at a time, when the pool is bounded (see `_turn`)
        self._gate: tuple[asyncio.AbstractEventLoop, asyncio.Semaphore] | None = None
        if self.is_sqlite and parsed.database not in (None, "", ":memory:"):
            options |= {"pool_size": SQLITE_POOL_SIZE, "max_overflow": SQLITE_POOL_OVERFLOW}
            self._turns = SQLITE_POOL_SIZE
        elif parsed.get_backend_name() == "postgresql":
            options |= {
                "pool_size": POSTGRES_POOL_SIZE,
                "max_overflow": POSTGRES_POOL_OVERFLOW,
                "pool_pre_ping": True,
                # A server that does not answer fails the connection in this long, not asyncpg's
                # default minute: well inside what a start or an interaction can wait.
                "connect_args": {"timeout": POSTGRES_CONNECT_TIMEOUT_S},
            }
            self._turns = POSTGRES_POOL_SIZE + POSTGRES_POOL_OVERFLOW
        if self.is_sqlite and parsed.get_driver_name() == "aiosqlite":
            options["module"] = one_trip_dbapi()
        self.engine: AsyncEngine = create_async_engine(url, **options)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _tune_sqlite)
        elif parsed.get_backend_name() == "postgresql":
            event.listen(
                self.engine.sync_engine, "before_cursor_execute", _without_nul, retval=True
            )
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self.file = (
            Path(parsed.database)
            if self.is_sqlite and parsed.database not in (None, "", ":memory:")
            else None
        )
        self.watch = DatabaseFile(self.file) if self.file is not None else None

    @cached_property
    def search(self) -> Search:
        """Full-text search, written for this database's dialect."""
        return search_for(self.engine.dialect.name)

    @asynccontextmanager
    async def _turn(self) -> AsyncIterator[None]:
        """Wait for a connection in arrival order.

        The pool's own wait is an asyncio queue, which is not fair: a connection handed back is
        taken by whoever asks next, before the session woken for it runs, and that session goes
        to the back of the line again. Under load most sessions wait a little and a few wait
        many times as long (seconds: past Discord's 3 s for an interaction). A semaphore with
        as many places as the pool has connections queues sessions first come, first served,
        so the pool never makes anyone wait. A session opened inside another (same task)
        goes straight to the pool: waiting for a second place could wait forever.
        """
        if not self._turns or _in_turn.get():
            yield
            return
        loop = asyncio.get_running_loop()
        if self._gate is None or self._gate[0] is not loop:
            self._gate = (loop, asyncio.Semaphore(self._turns))
        async with self._gate[1]:
            token = _in_turn.set(True)
            try:
                yield
            finally:
                _in_turn.reset(token)

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[AsyncSession]:
        """A session inside one transaction: committed on success, rolled back on any error.

        Refused (DatabaseFileLost) once the SQLite file was deleted or replaced under the bot.
        """
        if self.watch is not None:
            self.watch.check()
        async with self._turn(), self.sessions() as session, session.begin():
            yield session

    @asynccontextmanager
    async def exclusive(self) -> AsyncIterator[AsyncSession]:
        """A unit of work that holds the write lock from its first statement: nothing it reads
        changes before it commits. For start-up work that several processes may do at once.
        """
        if self.watch is not None:
            self.watch.check()
        async with self._turn(), self.sessions() as session, session.begin():
            await hold_write_lock(await session.connection())
            yield session

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A session for reads only."""
        async with self._turn(), self.sessions() as session:
            yield session

    async def tidy_search(self, pages: int = MERGE_PAGES) -> int:
        """Merge the full-text indexes' segments, a short transaction at a time (other writes
        wait for one step at most, reads never); how many steps did work.
        """
        steps = 0
        while True:
            async with self.unit_of_work() as session:
                if not await self.search.merge_step(session, pages):
                    return steps
            steps += 1

    def storage(self) -> tuple[int, int] | None:
        """Bytes the SQLite file takes (with its write-ahead log) and bytes free on its disk."""
        if self.file is None:
            return None
        try:
            used = sum(
                p.stat().st_size for p in (self.file, Path(f"{self.file}-wal")) if p.exists()
            )
            return used, shutil.disk_usage(self.file.parent).free
        except OSError:
            return None

    async def usage(self) -> tuple[int, int | None] | None:
        """Bytes the database takes, and bytes free on its disk when that is known: the SQLite
        file with its log (`storage`), or PostgreSQL's `pg_database_size` (its disk is the
        server's). None when it cannot be told.
        """
        if self.file is not None:
            return self.storage()
        if self.is_sqlite:
            return None
        try:
            async with self.engine.connect() as conn:
                size = await conn.scalar(text("SELECT pg_database_size(current_database())"))
        except Exception:
            log.exception("database size unknown")
            return None
        return (int(size), None) if size is not None else None

    async def checkpoint(self) -> None:
        """Copy the write-ahead log into the database file and empty the log (SQLite), so that
        what was just deleted is in neither.
        """
        if not self.is_sqlite:
            return
        async with self.engine.connect() as conn:
            await conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")

    async def ping(self) -> bool:
        """True when the database answers a trivial query."""
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception:
            log.exception("database ping failed")
            return False
        return True

    async def upgrade(self) -> None:
        """Apply every pending migration (Alembic loads only when there is one, or when the
        database is not on the chain yet).
        """
        from bot.db.revision import at_code_head

        if not await at_code_head(self.engine):
            from bot.db.migrate import upgrade

            await upgrade(self.engine)
        if self.watch is not None:
            self.watch.pin()

    async def warm(self) -> None:
        """Open the pool's connections now (PostgreSQL), so that the first interactions do not
        each pay for a new connection (a handshake, authentication and type lookups: seconds
        on a busy machine when several arrive at once, against Discord's 3 s to answer).
        """
        if self.is_sqlite or not self._turns:
            return
        size = self.engine.pool.size() if hasattr(self.engine.pool, "size") else 0
        async with contextlib.AsyncExitStack() as stack:
            connections = [stack.enter_async_context(self.engine.connect()) for _ in range(size)]
            for connection in await asyncio.gather(*connections):
                await connection.execute(text("SELECT 1"))

    def claim(self) -> None:
        """Hold the SQLite file for this process (see `bot.db.file`): a restore refuses while a
        bot holds it, and a bot does not start while a restore runs (DatabaseInUse).
        """
        if self.watch is not None:
            self.watch.claim()

    async def close(self) -> None:
        """Close every connection of the pool and let go of the file."""
        await self.engine.dispose()
        if self.watch is not None:
            self.watch.release()
