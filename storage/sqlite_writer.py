"""SQLite with one writer at a time per process, in arrival order.

SQLite lets one connection write at a time. When several of the pool's connections want to
write at once, the losers wait in SQLite's busy handler, which sleeps and retries (1, 2, 5, 10,
… up to 100 ms between tries) with no notion of who came first: under load most answers pass
quickly while a few wait for seconds, and the slowest waits hit the busy timeout. This dialect
(aiosqlite's, plus a lock) queues writers in the event loop instead: a transaction takes the
process's writer lock just before its first write statement, in FIFO order, and gives it back
right after its COMMIT or ROLLBACK has completed. Reads never wait for it (WAL mode lets them
run beside the writer), and the busy handler is left for other processes.

Python's sqlite3 module opens a transaction implicitly before the first INSERT, UPDATE, DELETE
or REPLACE, so "before the first write" is exactly where SQLite itself would take its lock.
A writer waits at most BUSY_TIMEOUT, the same as SQLite's busy timeout, and then fails with
the same "database is locked" error. Calls run on the event loop's thread (storage.sqlite_inline),
which this queue makes possible: no writer of this process ever waits inside SQLite.

`storage.db.create_engine` uses this dialect for every ``sqlite+aiosqlite`` URL.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
from typing import Any

import aiosqlite
from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.aiosqlite import SQLiteDialect_aiosqlite
from sqlalchemy.util import await_

from storage.sqlite_inline import BUSY_TIMEOUT_MS, InlineDBAPI

DRIVER = "aiosqlite_writer"
BUSY_TIMEOUT = BUSY_TIMEOUT_MS / 1000  # seconds: as long as SQLite waits for another process
_WRITE = re.compile(r"\s*(?:INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER)\b", re.IGNORECASE)


class WriterLock:
    """FIFO writer lock of one engine; remembers which DBAPI connection holds it."""

    def __init__(self) -> None:
        self._lock: asyncio.Lock | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.holder: object | None = None

    def _current(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        if self._lock is None or (self._loop is not loop and self.holder is None):
            self._lock, self._loop = asyncio.Lock(), loop  # an engine reused under a new loop (CLI steps)
        return self._lock

    async def acquire(self, connection: object) -> None:
        lock = self._current()
        try:
            async with asyncio.timeout(BUSY_TIMEOUT):
                await lock.acquire()
        except TimeoutError:
            raise sqlite3.OperationalError("database is locked") from None
        self.holder = connection

    def release(self, connection: object) -> None:
        """After the COMMIT or ROLLBACK of `connection` (the pool's proxy or the DBAPI connection)."""
        connection = getattr(connection, "dbapi_connection", connection)
        if self.holder is connection and self._lock is not None:
            self.holder = None
            self._lock.release()


class SQLiteWriterDialect(SQLiteDialect_aiosqlite):
    """aiosqlite's dialect, with writes queued per process (see the module's docstring).
    SQLAlchemy leaves the `do_*` hooks untyped, hence the ignores on calling them."""

    supports_statement_cache = True

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.writer = WriterLock()

    @classmethod
    def import_dbapi(cls) -> InlineDBAPI:
        """Connections that run SQLite on the event loop's thread (storage.sqlite_inline)."""
        return InlineDBAPI(aiosqlite, sqlite3)

    def _before(self, cursor: Any, statement: str) -> None:
        connection = cursor._adapt_connection
        if self.writer.holder is not connection and _WRITE.match(statement):
            await_(self.writer.acquire(connection))

    def do_execute(self, cursor: Any, statement: str, parameters: Any, context: Any = None) -> None:
        self._before(cursor, statement)
        super().do_execute(cursor, statement, parameters, context)  # type: ignore[no-untyped-call]

    def do_executemany(self, cursor: Any, statement: str, parameters: Any, context: Any = None) -> None:
        self._before(cursor, statement)
        super().do_executemany(cursor, statement, parameters, context)  # type: ignore[no-untyped-call]

    def do_execute_no_params(self, cursor: Any, statement: str, context: Any = None) -> None:
        self._before(cursor, statement)
        super().do_execute_no_params(cursor, statement, context)  # type: ignore[no-untyped-call]

    def do_commit(self, dbapi_connection: Any) -> None:
        try:
            super().do_commit(dbapi_connection)  # type: ignore[no-untyped-call]
        finally:
            self.writer.release(dbapi_connection)

    def do_rollback(self, dbapi_connection: Any) -> None:
        try:
            super().do_rollback(dbapi_connection)  # type: ignore[no-untyped-call]
        finally:
            self.writer.release(dbapi_connection)

    def do_close(self, dbapi_connection: Any) -> None:
        try:
            super().do_close(dbapi_connection)  # type: ignore[no-untyped-call]
        finally:
            self.writer.release(dbapi_connection)

    def do_terminate(self, dbapi_connection: Any) -> None:
        try:
            super().do_terminate(dbapi_connection)
        finally:
            self.writer.release(dbapi_connection)


registry.register(f"sqlite.{DRIVER}", __name__, "SQLiteWriterDialect")
