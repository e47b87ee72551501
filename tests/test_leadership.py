"""Scheduler leadership on PostgreSQL: one leader at a time, a successor when it goes, changes
reaching it by NOTIFY. (On SQLite every process leads: covered by every scheduling test.)"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable

import pytest
from sqlalchemy import text

from bot.leadership import LEADER_LOCK_KEY, ChangePublisher, Leadership
from storage.db import Database

pytestmark = pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL"), reason="TEST_DATABASE_URL is not set: leadership needs PostgreSQL (CI sets it)"
)


class Candidate:
    def __init__(self, db: Database, name: str, log: list[str]) -> None:
        self.items: list[frozenset[int]] = []
        self.reopened: list[int] = []

        async def elected() -> None:
            log.append(f"{name} elected")

        async def deposed() -> None:
            log.append(f"{name} deposed")

        self.leadership = Leadership(
            db,
            on_elected=elected,
            on_deposed=deposed,
            on_items=self.items.append,
            on_reopen=self.reopened.append,
            retry_seconds=0.2,
            check_seconds=0.2,
        )


async def _until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.05)


@pytest.fixture
async def db() -> AsyncIterator[Database]:
    database = Database(os.environ["TEST_DATABASE_URL"])
    yield database
    await database.dispose()


async def test_one_leader_and_a_successor_when_it_goes(db: Database) -> None:
    log: list[str] = []
    first, second = Candidate(db, "first", log), Candidate(db, "second", log)
    await first.leadership.start()
    await second.leadership.start()
    try:
        await asyncio.sleep(0.6)  # several of the second's tries
        assert (first.leadership.is_leader, second.leadership.is_leader) == (True, False)
        assert log == ["first elected"]

        # A worker (neither candidate leads in its own process) publishes; the leader hears it.
        publisher = ChangePublisher(db, None)
        publisher.items_changed(frozenset({7, 3}))
        publisher.reopened(42)
        await publisher.flush()
        await _until(lambda: bool(first.items) and bool(first.reopened))
        assert first.items == [frozenset({3, 7})] and first.reopened == [42]
        assert second.items == [] and second.reopened == []

        # The leader's connection dies (as with SIGKILL): it steps down, the other takes over.
        async with db.engine.begin() as conn:
            await conn.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND objid = :low AND classid = :high"),
                {"low": LEADER_LOCK_KEY & 0xFFFFFFFF, "high": LEADER_LOCK_KEY >> 32},
            )
        await _until(lambda: second.leadership.is_leader)
        await _until(lambda: "first deposed" in log)
        assert log.index("first deposed") >= 1 and not first.leadership.is_leader
        publisher.items_changed(frozenset({5}))
        await publisher.flush()
        await _until(lambda: bool(second.items))
        assert second.items == [frozenset({5})]
    finally:
        await first.leadership.stop()
        await second.leadership.stop()


async def test_a_leader_publishes_nothing(db: Database) -> None:
    """The runner in the leader's own process already heard its changes."""
    log: list[str] = []
    leader = Candidate(db, "leader", log)
    await leader.leadership.start()
    try:
        publisher = ChangePublisher(db, leader.leadership)
        publisher.items_changed(frozenset({1}))
        await publisher.flush()
        await asyncio.sleep(0.3)
        assert leader.items == []
    finally:
        await leader.leadership.stop()
    assert log == ["leader elected", "leader deposed"]
