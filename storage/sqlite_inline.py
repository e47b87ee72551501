"""aiosqlite's connection, run on the event loop's own thread.

aiosqlite gives every connection a thread and sends each call there and its result back: two
thread switches, a future and a wake-up of the event loop per statement, which on the answer
path (a handful of statements of some 20–100 µs each) cost more CPU than SQLite itself. Here the
same calls run where they are awaited. That is safe for this application because no call waits
for long:

- writers of this process queue in the event loop before their first write
  (storage.sqlite_writer), so SQLite's own lock never makes one of them wait for another;
- WAL mode lets reads run beside a writer;
- a connection here has a busy timeout of 0, so when *another process* holds the write lock
  (a CLI command, a second bot by mistake) SQLite says "busy" at once instead of sleeping on
  the event loop; the call is then repeated on a worker thread with SQLite's full busy timeout
  (`BUSY_TIMEOUT_MS`), and the event loop goes on serving everyone else meanwhile. A statement
  that reported "busy" had no effect, so repeating it is safe.

SQLAlchemy's aiosqlite adapter works unchanged on top (`InlineDBAPI` hands it these
connections), and so does everything built on it.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Generator
from functools import partial
from typing import Any, TypeVar

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import AsyncAdapt_aiosqlite_connection, AsyncAdapt_aiosqlite_dbapi
from sqlalchemy.util import await_

BUSY_TIMEOUT_MS = 10_000  # how long a call waits (on a worker thread) for another process's lock
T = TypeVar("T")


def is_busy(exc: sqlite3.OperationalError) -> bool:
    """Whether SQLite refused because another connection holds a lock (SQLITE_BUSY, any variant)."""
    code = getattr(exc, "sqlite_errorcode", None)
    return isinstance(code, int) and code & 0xFF == sqlite3.SQLITE_BUSY


class InlineConnection(aiosqlite.Connection):
    """An aiosqlite connection without its thread: calls run inline (see the module docstring)."""

    async def _execute(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        if not self._running or self._connection is None:
            raise ValueError("Connection closed")
        try:
            return fn(*args, **kwargs)
        except sqlite3.OperationalError as exc:
            if not is_busy(exc):
                raise
        return await asyncio.to_thread(self._patiently, partial(fn, *args, **kwargs))

    def _patiently(self, call: Callable[[], T]) -> T:
        """`call` again, on a worker thread, letting SQLite wait for the other process's lock."""
        connection = self._conn
        connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        try:
            return call()
        finally:
            connection.execute("PRAGMA busy_timeout=0")

    async def _connect(self) -> InlineConnection:
        if self._connection is None:
            connection = self._connector()
            connection.execute("PRAGMA busy_timeout=0")
            self._connection = connection
        return self

    def __await__(self) -> Generator[Any, None, InlineConnection]:
        return self._connect().__await__()

    def stop(self) -> None:
        """Close at once (aiosqlite stops its thread here; there is none)."""
        self._running = False
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()

    async def close(self) -> None:
        self.stop()


class _InlineAdaptedConnection(AsyncAdapt_aiosqlite_connection):
    """SQLAlchemy's adapter; only the isolation level, which it sets through aiosqlite's
    thread queue directly, is set in place."""

    __slots__ = ()

    @property
    def isolation_level(self) -> str | None:
        return self._connection._conn.isolation_level  # type: ignore[no-any-return]

    @isolation_level.setter
    def isolation_level(self, value: str | None) -> None:
        self._connection._conn.isolation_level = value


class InlineDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """The DBAPI module SQLAlchemy's aiosqlite dialect sees, opening inline connections."""

    def connect(self, *args: Any, **kwargs: Any) -> AsyncAdapt_aiosqlite_connection:
        kwargs.pop("async_creator_fn", None)
        kwargs["check_same_thread"] = False  # the busy fallback runs a call on a worker thread
        connection = InlineConnection(partial(sqlite3.connect, *args, **kwargs), iter_chunk_size=64)
        return _InlineAdaptedConnection(self, await_(connection))  # type: ignore[arg-type]  # an aiosqlite connection, as in SQLAlchemy's connect()
