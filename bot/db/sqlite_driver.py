"""SQLAlchemy's aiosqlite driver, with one trip to the connection's thread per statement.

aiosqlite runs each call on a `sqlite3` connection in a thread of its own, and SQLAlchemy's
adapter makes four such calls per statement: open a cursor, execute, fetch every row, close.
Each trip hands the call to the thread and wakes the event loop with the answer, about 0.1 ms
apiece: for the short reads most interactions make, more than the query itself. Here the
statement is executed, its rows fetched and its cursor closed in one call in that thread;
what the cursor reports afterwards (description, rowcount, lastrowid) is read from the closed
`sqlite3` cursor, as aiosqlite itself does. Everything else (connecting, transactions,
streamed results) is the library's own.
"""

from __future__ import annotations

import collections
import sqlite3
from collections.abc import Sequence
from typing import Any

from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import await_only


class OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    """A cursor whose statements each run in a single call in the connection's thread."""

    __slots__ = ()
    _awaitable_cursor_close = False  # closed in the thread, with its statement

    def _make_new_cursor(self, connection: Any) -> Any:
        return None  # made in the thread, by the statement

    def _aenter_cursor(self, cursor: Any) -> Any:
        return cursor

    @property
    def description(self) -> Any:
        """The last statement's columns (None for a write)."""
        if "description" in self._soft_closed_memoized:
            return self._soft_closed_memoized["description"]
        return None if self._cursor is None else self._cursor.description

    @property
    def rowcount(self) -> int:
        """Rows the last write changed."""
        return -1 if self._cursor is None else int(self._cursor.rowcount)

    @property
    def lastrowid(self) -> int:
        """The rowid of the last row inserted."""
        return self._cursor.lastrowid if self._cursor is not None else 0

    def close(self) -> None:
        """Forget unread rows (the `sqlite3` cursor was closed in the thread)."""
        self._rows.clear()

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        """Run one statement and fetch its rows, in one call in the thread."""
        try:
            return await_only(self._run(operation, parameters, many=False))
        except Exception as error:  # the adapter's own translation of driver errors
            self._adapt_connection._handle_exception(error)

    def executemany(self, operation: Any, seq_of_parameters: Any) -> Any:
        """Run one statement for each set of parameters, in one call in the thread."""
        try:
            return await_only(self._run(operation, seq_of_parameters, many=True))
        except Exception as error:
            self._adapt_connection._handle_exception(error)

    async def _run(self, operation: str, parameters: Any, *, many: bool) -> None:
        connection: sqlite3.Connection = self._connection._conn

        def run() -> tuple[sqlite3.Cursor, Sequence[Any] | None]:
            cursor = connection.cursor()
            try:
                if many:
                    cursor.executemany(operation, parameters)
                elif parameters is None:
                    cursor.execute(operation)
                else:
                    cursor.execute(operation, parameters)
                return cursor, cursor.fetchall() if cursor.description else None
            finally:
                cursor.close()

        async with self._adapt_connection._execute_mutex:
            cursor, rows = await self._connection._execute(run)
        self._cursor = cursor
        self._rows = collections.deque(rows or ())


class OneTripConnection(AsyncAdapt_aiosqlite_connection):
    """aiosqlite's adapted connection, its cursors `OneTripCursor`s."""

    __slots__ = ()
    _cursor_cls = OneTripCursor

    def _in_transaction(self) -> bool:
        connection = self._connection._connection  # the sqlite3 connection, None once closed
        return connection is not None and connection.in_transaction

    def rollback(self) -> None:
        """Roll back, when a transaction is open: `sqlite3` does nothing otherwise, and the
        pool rolls back every connection handed back (after each read).
        """
        if self._in_transaction():
            super().rollback()

    def commit(self) -> None:
        """Commit, when a transaction is open (`sqlite3` does nothing otherwise)."""
        if self._in_transaction():
            super().commit()


class OneTripDbapi(AsyncAdapt_aiosqlite_dbapi):
    """The aiosqlite driver module as SQLAlchemy adapts it, its connections `OneTripConnection`s
    (given to the engine as its `module`).
    """

    def connect(self, *arg: Any, **kw: Any) -> AsyncAdapt_aiosqlite_connection:
        """The connection SQLAlchemy adapts from aiosqlite, with one-trip cursors."""
        adapted = super().connect(*arg, **kw)
        return OneTripConnection(self, adapted._connection)


def one_trip_dbapi() -> OneTripDbapi:
    """The module to give `create_async_engine` for a `sqlite+aiosqlite` URL."""
    import aiosqlite

    return OneTripDbapi(aiosqlite, sqlite3)
