"""The outbox on both backends: a step's replies are recorded with its COMMIT under ids the bot
made, in order, and only the latest step of each chat is owed after a crash."""

from __future__ import annotations

from unittest import mock

import pytest
from sqlalchemy import func, select

from bot.container import Services
from bot.services.outbox import TimeOrderedIds
from storage.models import OutboxMessage


def test_ids_grow_in_one_process_even_when_the_clock_goes_back() -> None:
    ids = TimeOrderedIds()
    made = [ids.next() for _ in range(2_000)]  # many within one microsecond
    with mock.patch("time.time_ns", return_value=1_767_225_600_000_000_000):  # back to 2026-01-01
        made += [ids.next() for _ in range(3)]
    assert made == sorted(set(made)), "unique and increasing"
    assert made[0] > 0 and made[-1] < 2**63  # a BIGINT


def test_two_processes_making_ids_in_the_same_microsecond_differ_by_their_tag() -> None:
    first, second = TimeOrderedIds(tag=7), TimeOrderedIds(tag=8)
    with mock.patch("time.time_ns", return_value=1_800_000_000_000_000_000):
        assert first.next() != second.next()


async def _stored(services: Services) -> int:
    async with services.db.session() as db:
        return int(await db.scalar(select(func.count()).select_from(OutboxMessage)) or 0)


async def test_replies_are_recorded_with_the_commit_and_only_the_latest_step_is_owed(services: Services) -> None:
    outbox = services.outbox
    async with services.db.unit_of_work() as db:
        first = outbox.add(db, 42, [("Which organisation?", None)])
        assert await _stored(services) == 0  # nothing before the COMMIT
    async with services.db.unit_of_work() as db:
        latest = outbox.add(db, 42, [("Saved ✓", None), ("Next question", {"inline_keyboard": []})])
        other = outbox.add(db, 43, [("Welcome", None)])
    assert first[0].id < latest[0].id < latest[1].id
    owed = await outbox.owed()
    assert owed == [*latest, *other]  # the superseded step is dropped, not repeated
    assert await _stored(services) == 3


async def test_a_rolled_back_step_owes_nothing(services: Services) -> None:
    with pytest.raises(RuntimeError):
        async with services.db.unit_of_work() as db:
            services.outbox.add(db, 44, [("Saved ✓", None)])
            raise RuntimeError("the step failed after rendering its reply")
    assert await services.outbox.owed() == []
