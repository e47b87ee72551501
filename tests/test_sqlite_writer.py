"""SQLite writers queue in arrival order (storage.sqlite_writer), on a real database file."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError

from storage import sqlite_inline, sqlite_writer
from storage.db import Database


@pytest.fixture
async def db(tmp_path: Path) -> Database:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'writers.db'}")
    async with database.engine.begin() as conn:
        await conn.execute(text("CREATE TABLE rows (n INTEGER PRIMARY KEY, writer INTEGER)"))
    yield database  # type: ignore[misc]
    await database.dispose()


def test_sqlite_urls_get_the_queued_writer_dialect(tmp_path: Path) -> None:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    assert isinstance(database.engine.dialect, sqlite_writer.SQLiteWriterDialect)
    assert database.engine.dialect.name == "sqlite" and not database.is_postgresql
    assert database.url.startswith("sqlite+aiosqlite:")  # what the operator configured stays as it was


async def test_writers_wait_in_the_order_they_came(db: Database) -> None:
    """While one transaction holds the write, ten more arrive 50 ms apart and wait. SQLite's
    own busy handler would let them in by whichever retry lands first (its sleeps grow, so the
    latest arrivals tend to win); the queue lets them in as they came."""
    arrived: list[int] = []

    async def writer(number: int) -> None:
        async with db.engine.begin() as conn:
            arrived.append(number)
            await conn.execute(text("INSERT INTO rows (writer) VALUES (:w)"), {"w": number})

    async with db.engine.connect() as holding:
        await holding.execute(text("INSERT INTO rows (writer) VALUES (0)"))
        waiting = []
        for number in range(1, 11):
            waiting.append(asyncio.create_task(writer(number)))
            await asyncio.sleep(0.05)
        await holding.commit()
    await asyncio.gather(*waiting)
    async with db.engine.connect() as conn:
        written = list((await conn.execute(text("SELECT writer FROM rows ORDER BY n"))).scalars())
    assert arrived == list(range(1, 11))
    assert written == list(range(11))


async def test_a_rolled_back_writer_lets_the_next_one_in(db: Database) -> None:
    async with db.engine.connect() as conn:
        await conn.execute(text("INSERT INTO rows (n, writer) VALUES (1, 1)"))
        await conn.commit()
    with pytest.raises(IntegrityError):
        async with db.engine.begin() as conn:
            await conn.execute(text("INSERT INTO rows (n, writer) VALUES (1, 2)"))
    async with asyncio.timeout(2):
        async with db.engine.begin() as conn:
            await conn.execute(text("INSERT INTO rows (n, writer) VALUES (2, 3)"))
    assert db.engine.dialect.writer.holder is None  # type: ignore[attr-defined]


async def test_reads_do_not_wait_for_a_writer(db: Database) -> None:
    async with db.engine.connect() as writing:
        await writing.execute(text("INSERT INTO rows (writer) VALUES (1)"))
        async with asyncio.timeout(2), db.engine.connect() as reading:
            assert await reading.scalar(text("SELECT count(*) FROM rows")) == 0  # WAL: the committed state
        await writing.rollback()


async def test_a_writer_that_waits_too_long_fails_like_sqlite_would(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sqlite_writer, "BUSY_TIMEOUT", 0.2)
    async with db.engine.connect() as holding:
        await holding.execute(text("INSERT INTO rows (writer) VALUES (1)"))
        with pytest.raises(OperationalError, match="database is locked"):
            async with db.engine.begin() as waiting:
                await waiting.execute(text("INSERT INTO rows (writer) VALUES (2)"))
        await holding.commit()
    async with db.engine.begin() as conn:  # and the lock still works afterwards
        await conn.execute(text("INSERT INTO rows (writer) VALUES (3)"))
        assert await conn.scalar(text("SELECT count(*) FROM rows")) == 2


async def test_another_process_holding_the_write_lock_is_waited_for_off_the_event_loop(db: Database, tmp_path: Path) -> None:
    """Statements run on the event loop's thread (storage.sqlite_inline). When another process
    holds SQLite's write lock, the write is retried on a worker thread with SQLite's own busy
    timeout: it succeeds once the lock is free, and the event loop keeps running meanwhile."""
    other = sqlite3.connect(tmp_path / "writers.db", isolation_level=None)  # stands for another process
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO rows (writer) VALUES (0)")
    loop = asyncio.get_running_loop()
    ticks: list[float] = []

    async def ticker() -> None:
        while True:
            ticks.append(loop.time())
            await asyncio.sleep(0.01)

    ticking = asyncio.create_task(ticker())
    loop.call_later(0.4, other.execute, "COMMIT")
    started = loop.time()
    async with asyncio.timeout(5), db.engine.begin() as conn:
        await conn.execute(text("INSERT INTO rows (writer) VALUES (1)"))
    waited = loop.time() - started
    ticking.cancel()
    other.close()
    async with db.engine.connect() as conn:
        assert list((await conn.execute(text("SELECT writer FROM rows ORDER BY n"))).scalars()) == [0, 1]
    assert waited >= 0.35  # it really waited for the other writer
    assert max(b - a for a, b in zip(ticks, ticks[1:], strict=False)) < 0.2  # and the loop never stalled


def test_busy_means_any_variant_of_sqlite_busy() -> None:
    busy = sqlite3.OperationalError("database is locked")
    busy.sqlite_errorcode = sqlite3.SQLITE_BUSY | (2 << 8)  # type: ignore[attr-defined]  # SQLITE_BUSY_SNAPSHOT
    other = sqlite3.OperationalError("no such table: x")
    other.sqlite_errorcode = sqlite3.SQLITE_ERROR  # type: ignore[attr-defined]
    assert sqlite_inline.is_busy(busy)
    assert not sqlite_inline.is_busy(other)
    assert not sqlite_inline.is_busy(sqlite3.OperationalError("no code"))
