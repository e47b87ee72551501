"""The deployment's sending budget (bot.send_budget): replies and broadcasts, from every process,
together within Telegram's overall limit.

Under virtual time (tests.test_pacing): departures spaced, in order, paused by a flood wait.
On PostgreSQL: two budgets on two connection pools (two processes of one deployment) share one
timeline, and a 429 in one holds back the other. End to end: a burst of people answering at
once, against a fake Bot API that refuses the 11th message in any second, gets every reply
without one flood error when the budget is 7/s, and gets flood errors without a budget (so the
first result is the budget's doing).
"""

from __future__ import annotations

import asyncio
import os
import time
from itertools import pairwise
from pathlib import Path

import pytest

from bot.send_budget import SendBudget, SharedBudget, send_budget
from fake_bot_api import FakeBotAPI, FloodLimits
from storage.db import Database
from telegram_edge.offline import OfflineBot
from tests.conftest import ORGANISER, _reset_postgres
from tests.test_pacing import max_in_window, now, run_virtual


def test_departures_are_evenly_spaced_and_in_the_order_asked() -> None:
    async def main() -> list[tuple[float, int]]:
        budget = SendBudget(20, clock=now)
        left: list[tuple[float, int]] = []

        async def send(n: int) -> None:
            await budget.take()
            left.append((now(), n))

        await asyncio.gather(*(send(n) for n in range(100)))
        return left

    left = run_virtual(main())
    assert [n for _, n in left] == list(range(100))
    assert all(later - earlier >= 0.05 - 1e-9 for (earlier, _), (later, _) in pairwise(left))
    assert max_in_window((at for at, _ in left), 1.0) <= 21  # a closed window holds both ends
    assert left[-1][0] == pytest.approx(99 * 0.05)  # and no slower than the rate


def test_a_process_that_wakes_late_does_not_send_its_backlog_at_once() -> None:
    """A stall (a long garbage collection) leaves several turns due; they still leave a gap apart."""

    async def main() -> list[float]:
        budget = SendBudget(10, clock=time.monotonic)
        left: list[float] = []

        async def send() -> None:
            await budget.take()
            left.append(time.monotonic())

        tasks = [asyncio.create_task(send()) for _ in range(6)]
        await asyncio.sleep(0)
        time.sleep(0.35)  # the whole process stalls: three turns come due meanwhile
        await asyncio.gather(*tasks)
        return left

    left = asyncio.run(main())
    assert all(later - earlier >= 0.1 - 0.002 for earlier, later in pairwise(left))


def test_a_flood_wait_pauses_the_budget() -> None:
    async def main() -> list[float]:
        budget = SendBudget(10, clock=now)
        await budget.take()
        budget.flooded(3.0)
        left = []
        for _ in range(3):
            await budget.take()
            left.append(now())
        return left

    left = run_virtual(main())
    assert left[0] == pytest.approx(3.0)
    assert left[1:] == pytest.approx([3.1, 3.2])


def test_rate_zero_is_no_budget() -> None:
    async def main() -> float:
        budget = SendBudget(0, clock=now)
        for _ in range(1000):
            await budget.take()
        return now()

    assert run_virtual(main()) == 0.0


@pytest.fixture
async def postgres_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        pytest.skip("TEST_DATABASE_URL is not set: the shared budget lives in PostgreSQL (CI sets it)")
    await _reset_postgres(url)
    db = Database(url)
    try:
        await db.upgrade()
    finally:
        await db.dispose()
    return url


async def test_two_processes_share_one_timeline(postgres_url: str) -> None:
    first, second = Database(postgres_url), Database(postgres_url)
    budgets = [send_budget(first, 25), send_budget(second, 25)]
    assert all(isinstance(budget, SharedBudget) for budget in budgets)
    left: list[float] = []

    async def send(budget: SendBudget) -> None:
        await budget.take()
        left.append(time.monotonic())

    try:
        started = time.monotonic()
        await asyncio.gather(*(send(budgets[n % 2]) for n in range(60)))
        took = time.monotonic() - started
        # Alone, each would have sent its 30 in 1.2 s; sharing, the 60 take 2.4 s.
        assert took >= 59 / 25 * 0.95
        assert max_in_window(left, 1.0) <= 27  # 25 booked a second, a little jitter on arrival

        # A 429 in the first process holds back the second's next message.
        budgets[0].flooded(1.5)
        await budgets[0].close()
        asked = time.monotonic()
        await budgets[1].take()
        assert time.monotonic() - asked >= 1.4
    finally:
        await first.dispose()
        await second.dispose()


async def test_a_single_process_on_sqlite_paces_itself(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'budget.db'}")
    try:
        budget = send_budget(db, 25)
        assert type(budget) is SendBudget and budget.rate == 25
    finally:
        await db.dispose()


async def _burst_of_answers(tmp_path: Path, send_rate: float) -> tuple[int, int, int]:
    """Twelve people answer at once; returns (flood errors, messages sent, replies everyone got)."""
    limits = FloodLimits(overall_per_second=10, per_chat_per_second=None, per_group_per_minute=20)
    async with FakeBotAPI(bot_username="workshop_test_bot", limits=limits) as api:
        database = f"sqlite+aiosqlite:///{tmp_path / f'burst-{send_rate}.db'}"
        async with OfflineBot(api, database, organiser_ids=[ORGANISER], send_rate=send_rate) as bot:
            people = [api.user(7000 + n, f"B{n}") for n in range(12)]
            await asyncio.gather(*(person.reply_after(lambda p=person: p.send("/start"), timeout=30) for person in people))
            assert bot.errors == []
        sent = sum(1 for call in api.calls if call.method == "sendMessage" and call.status == 200)
        got = sum(len(api.messages_to(person.id)) for person in people)
        return api.flood_errors, sent, got


async def test_replies_to_a_burst_of_people_stay_within_the_overall_limit(tmp_path: Path) -> None:
    floods, sent, got = await _burst_of_answers(tmp_path, send_rate=7)
    assert floods == 0
    assert got >= 12 and sent >= 12
    # The control: the same burst with no budget runs into the limit.
    floods, _sent, _got = await _burst_of_answers(tmp_path, send_rate=0)
    assert floods > 0
