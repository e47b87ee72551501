"""Group commit (storage.group_commit) on both backends: units of work of updates handled at the
same moment share one COMMIT, each caller returns only once its writes are durable, a failing
body costs the others nothing, a slow body does not hold newcomers back, and rows queued for the
COMMIT (storage.unit_of_work.insert_at_commit) go in one statement, or not at all."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager

import pytest
from sqlalchemy import event, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.container import Services
from bot.services.inbox import Inbox
from bot.services.state import load_actor
from bot.services.views import UserRef
from storage.db import Database
from storage.group_commit import Preload
from storage.models import InboxUpdate, Participant, table_of
from storage.types import utcnow
from storage.unit_of_work import UpdateClaim, after_commit, claim_update, insert_at_commit


@contextmanager
def _counting_commits(db: Database) -> Iterator[list[int]]:
    commits: list[int] = []

    def count(_connection: object) -> None:
        commits.append(1)

    event.listen(db.engine.sync_engine, "commit", count)
    try:
        yield commits
    finally:
        event.remove(db.engine.sync_engine, "commit", count)


async def _stored_people(db: Database) -> set[int]:
    async with db.sessionmaker() as session:
        return set(await session.scalars(select(Participant.telegram_user_id)))


async def _durable(db: Database, telegram_id: int) -> bool:
    """Seen from a connection of its own, as after a crash."""
    return telegram_id in await _stored_people(db)


Body = Callable[[AsyncSession], Awaitable[int]]


def _joining(telegram_id: int, seen: dict[int, bool]) -> Body:
    """A unit of work that creates a participant and notes when its after-commit callback ran."""

    async def body(session: AsyncSession) -> int:
        await load_actor(session, UserRef(telegram_id, f"Person {telegram_id}"))
        after_commit(lambda: seen.__setitem__(telegram_id, True))
        return telegram_id

    return body


async def test_concurrent_units_of_work_share_one_commit_and_return_once_durable(services: Services) -> None:
    db = services.db
    seen: dict[int, bool] = {}

    async def one(telegram_id: int) -> bool:
        await db.grouped(_joining(telegram_id, seen))
        return await _durable(db, telegram_id)  # durable by the time the caller goes on

    with _counting_commits(db) as commits:
        durable = await asyncio.gather(*(one(1000 + n) for n in range(12)))
    assert durable == [True] * 12
    assert len(commits) == 1, f"{len(commits)} commits for 12 units of work"
    assert seen == {1000 + n: True for n in range(12)}  # every after-commit callback ran


async def test_a_failing_body_costs_the_others_nothing(services: Services) -> None:
    db = services.db
    runs: dict[int, int] = {}

    def body_of(telegram_id: int) -> Body:
        async def body(session: AsyncSession) -> int:
            runs[telegram_id] = runs.get(telegram_id, 0) + 1
            await load_actor(session, UserRef(telegram_id, "Someone"))
            if telegram_id == 2003:
                raise ValueError("this step is refused")
            return telegram_id

        return body

    results = await asyncio.gather(*(db.grouped(body_of(2000 + n)) for n in range(6)), return_exceptions=True)
    assert isinstance(results[3], ValueError)
    assert [r for i, r in enumerate(results) if i != 3] == [2000, 2001, 2002, 2004, 2005]
    assert await _stored_people(db) >= {2000, 2001, 2002, 2004, 2005}
    assert 2003 not in await _stored_people(db)  # its own writes were rolled back
    assert runs[2003] == 2 and all(runs[2000 + n] == 2 for n in (0, 1, 2))  # the group ran again, alone


async def test_each_members_update_is_marked_processed_with_the_group(services: Services) -> None:
    db = services.db
    inbox = Inbox(db)
    await inbox.accept([{"update_id": 500 + n, "message": {"text": "hi"}} for n in range(5)])
    claims: list[UpdateClaim] = []

    async def handle(update_id: int) -> None:
        with claim_update(update_id) as claim:
            claims.append(claim)
            await db.grouped(_joining(update_id, {}))

    await asyncio.gather(*(handle(500 + n) for n in range(5)))
    assert all(claim.recorded for claim in claims)
    async with db.sessionmaker() as session:
        marks = list(await session.scalars(select(InboxUpdate.processed_at).order_by(InboxUpdate.update_id)))
    assert len(marks) == 5 and all(mark is not None for mark in marks)
    assert await inbox.pending() == []
    await inbox.close()


async def test_a_slow_body_does_not_hold_newcomers_back(services: Services) -> None:
    db = services.db
    finished: list[str] = []

    async def slow(session: AsyncSession) -> None:
        await asyncio.sleep(0.5)  # a report rebuilt in a worker thread, say
        await load_actor(session, UserRef(3001, "Slow"))
        finished.append("slow")

    async def quick(session: AsyncSession) -> None:
        await load_actor(session, UserRef(3002, "Quick"))
        finished.append("quick")

    async def later() -> None:
        await asyncio.sleep(0.2)  # the slow body has held its group's turn for a while
        await db.grouped(quick)

    await asyncio.gather(db.grouped(slow), later())
    assert finished == ["quick", "slow"]
    assert await _stored_people(db) >= {3001, 3002}


async def test_a_body_that_ends_the_transaction_itself_runs_again_alone(services: Services) -> None:
    db = services.db
    runs: list[int] = []

    async def rude(session: AsyncSession) -> None:
        runs.append(1)
        await load_actor(session, UserRef(4001, "Rude"))
        await session.rollback()
        await load_actor(session, UserRef(4002, "Rude too"))

    async def polite(session: AsyncSession) -> None:
        await load_actor(session, UserRef(4003, "Polite"))

    await asyncio.gather(db.grouped(polite), db.grouped(rude))
    people = await _stored_people(db)
    assert 4003 in people and 4002 in people and 4001 not in people  # as if each had been alone
    assert len(runs) == 2


async def test_rows_queued_for_the_commit_go_in_one_statement_and_not_after_a_rollback(services: Services) -> None:
    db = services.db
    statement = insert(table_of(InboxUpdate))
    inserts: list[str] = []

    def seen(_conn: object, _cursor: object, sql: str, *_rest: object) -> None:
        if sql.lstrip().upper().startswith("INSERT INTO INBOX_UPDATES"):
            inserts.append(sql)

    def queueing(update_id: int, *, then: str = "") -> Body:
        async def body(session: AsyncSession) -> int:
            insert_at_commit(session, statement, {"update_id": update_id, "payload": {}, "received_at": utcnow()})
            if then == "fail":
                raise ValueError("refused after queueing")
            if then == "roll back":
                await session.rollback()
            return update_id

        return body

    event.listen(db.engine.sync_engine, "before_cursor_execute", seen)
    try:
        await asyncio.gather(*(db.grouped(queueing(700 + n)) for n in range(6)))
        assert len(inserts) == 1  # six rows, one executemany
        with pytest.raises(ValueError):
            await db.alone(queueing(710, then="fail"))
        await db.alone(queueing(711, then="roll back"))
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", seen)
    async with db.sessionmaker() as session:
        stored = list(await session.scalars(select(InboxUpdate.update_id).order_by(InboxUpdate.update_id)))
    assert stored == [700 + n for n in range(6)]


async def test_a_preload_reads_for_every_member_of_the_batch_before_the_first_body(services: Services) -> None:
    """The members of one batch ask for their rows; one load serves them all, before any body
    runs; a member that joins after that load is served by a load of its own at its turn."""
    db = services.db
    loads: list[list[int]] = []
    seen_by_body: dict[int, bool] = {}

    async def load(session: AsyncSession, keys: Sequence[int]) -> None:
        loads.append(list(keys))
        session.info.setdefault("loaded", set()).update(keys)

    def reading(key: int) -> Body:
        async def body(session: AsyncSession) -> int:
            seen_by_body[key] = key in session.info.get("loaded", set())
            await load_actor(session, UserRef(key, "Reader"))  # a real query: the turn passes on
            return key

        return body

    async def late() -> int:
        await asyncio.sleep(0)
        await asyncio.sleep(0)  # joins once the batch's first body is under way
        return await db.grouped(reading(5099), Preload(load, 5099))

    results = await asyncio.gather(*(db.grouped(reading(5000 + n), Preload(load, 5000 + n)) for n in range(8)), late())
    assert results == [5000 + n for n in range(8)] + [5099]
    assert loads[0] == [5000 + n for n in range(8)]
    assert loads[1:] == [[5099]]
    assert seen_by_body == {key: True for key in [*range(5000, 5008), 5099]}


async def test_a_failing_preload_makes_the_group_run_again_alone(services: Services) -> None:
    db = services.db

    async def broken(_session: AsyncSession, _keys: Sequence[int]) -> None:
        raise ConnectionError("lost the connection while preloading")

    results = await asyncio.gather(*(db.grouped(_joining(5100 + n, {}), Preload(broken, n)) for n in range(3)))
    assert results == [5100, 5101, 5102]
    assert {5100, 5101, 5102} <= await _stored_people(db)
