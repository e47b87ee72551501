"""FloodPacer under virtual time: the rates it reaches and the limits it never breaks.

Tests run on :class:`VirtualTimeLoop`, whose clock jumps straight to the next timer whenever every
task is waiting (like trio's autojump clock), so minutes of simulated sending take milliseconds
and no test can race the clock. ``asyncio.sleep`` and ``loop.time`` are the fake sleep and clock.
"""

from __future__ import annotations

import asyncio
import random
import selectors
import time
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Coroutine, Iterable, Sequence
from itertools import pairwise
from typing import Any, TypeVar

import pytest

from bot.scheduling.pacing import FloodPacer, TelegramLimits

T = TypeVar("T")


class _JumpingSelector(selectors.DefaultSelector):
    """Never blocks: where the loop would wait for its next timer, the virtual clock jumps there."""

    def __init__(self) -> None:
        super().__init__()
        self.now = 0.0

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        ready = super().select(0)
        if ready or timeout == 0:
            return ready
        if timeout is None:
            raise RuntimeError("deadlock: every task is waiting and no timer is due")
        self.now += timeout
        return ready


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    """An event loop on virtual time (see the module docstring)."""

    def __init__(self) -> None:
        self._jumping = _JumpingSelector()
        super().__init__(self._jumping)

    def time(self) -> float:
        return self._jumping.now


def run_virtual(main: Coroutine[Any, Any, T]) -> T:
    """Run ``main`` to completion on a fresh virtual-time loop."""
    loop = VirtualTimeLoop()
    try:
        return loop.run_until_complete(main)
    finally:
        loop.close()


def now() -> float:
    return asyncio.get_running_loop().time()


def max_in_window(times: Iterable[float], window: float) -> int:
    """Most events in any closed window ``[t, t + window]``, exactly: a busiest window can always
    be slid to start at an event."""
    ordered = sorted(times)
    return max((bisect_right(ordered, start + window) - i for i, start in enumerate(ordered)), default=0)


def assert_within_telegram_limits(sends: Sequence[tuple[float, int]]) -> None:
    """30 per second overall, 1 per second per chat, 20 per minute per group, in every window."""
    assert max_in_window((at for at, _ in sends), 1.0) <= 30
    by_chat: dict[int, list[float]] = defaultdict(list)
    for at, chat_id in sends:
        by_chat[chat_id].append(at)
    for chat_id, times in by_chat.items():
        assert max_in_window(times, 1.0) <= 1, chat_id
        if chat_id < 0:
            assert max_in_window(times, 60.0) <= 20, chat_id


def rate(sends: Sequence[tuple[float, int]]) -> float:
    """Messages per second from the first send to the last."""
    times = [at for at, _ in sends]
    return (len(times) - 1) / (max(times) - min(times))


async def send_all(pacer: FloodPacer, chat_ids: Iterable[int]) -> list[tuple[float, int]]:
    """Acquire for every chat concurrently (in the given order) and log when each was released."""
    sends: list[tuple[float, int]] = []

    async def one(chat_id: int) -> None:
        await pacer.acquire(chat_id)
        sends.append((now(), chat_id))

    await asyncio.gather(*(one(chat_id) for chat_id in chat_ids))
    return sends


def virtual_pacer() -> FloodPacer:
    return FloodPacer(clock=now)


def test_a_thousand_distinct_chats_go_out_at_95_percent_of_30_per_second() -> None:
    async def main() -> list[tuple[float, int]]:
        return await send_all(virtual_pacer(), range(1, 1001))

    sends = run_virtual(main())

    assert len(sends) == 1000
    assert rate(sends) >= 0.95 * 30  # 29.4/s: the 2% margin is the only loss
    assert_within_telegram_limits(sends)


def test_overlapping_broadcasts_to_the_same_chats_keep_the_full_rate() -> None:
    """A message waiting for its chat's 1 s interval must not hold up messages to other chats.

    Two deliveries to the same chats, their requests interleaved: 1, 1, 2, 2, 3, 3, ...
    """
    interleaved = [chat_id for chat_id in range(1, 601) for _ in range(2)]

    async def main() -> list[tuple[float, int]]:
        return await send_all(virtual_pacer(), interleaved)

    sends = run_virtual(main())

    assert len(sends) == 1200
    assert rate(sends) >= 0.95 * 30
    assert_within_telegram_limits(sends)


def test_one_private_chat_gets_one_message_per_second_in_order() -> None:
    async def main() -> list[float]:
        pacer = virtual_pacer()
        released: list[tuple[int, float]] = []

        async def one(order: int) -> None:
            await pacer.acquire(42)
            released.append((order, now()))

        await asyncio.gather(*(one(order) for order in range(5)))
        assert [order for order, _ in released] == list(range(5))
        return [at for _, at in released]

    times = run_virtual(main())

    gaps = [later - earlier for earlier, later in pairwise(times)]
    assert all(1.0 <= gap < 1.05 for gap in gaps)


def test_a_group_gets_at_most_20_messages_per_minute() -> None:
    async def main() -> list[tuple[float, int]]:
        return await send_all(virtual_pacer(), [-100123] * 45)

    sends = run_virtual(main())

    assert_within_telegram_limits(sends)
    assert max_in_window((at for at, _ in sends), 60.0) == 20
    assert sends[-1][0] < 44 * 3 * 1.05  # evenly spaced, not bursts with long holes


def test_mixed_traffic_arriving_over_time_with_flood_waits_never_breaks_a_limit() -> None:
    generator = random.Random(7)
    chats = [*range(1, 301), *[-(10**12) - n for n in range(5)] * 25, *list(range(1000, 1020)) * 5]
    generator.shuffle(chats)
    flood_waits = [(5.0, 2.0), (12.5, 3.0)]

    async def main() -> list[tuple[float, int]]:
        pacer = virtual_pacer()
        released: list[tuple[float, int]] = []

        async def later(delay: float, chat_id: int) -> None:
            await asyncio.sleep(delay)
            await pacer.acquire(chat_id)
            released.append((now(), chat_id))

        async def flood_wait(when: float, seconds: float) -> None:
            await asyncio.sleep(when)
            pacer.penalise(seconds)

        await asyncio.gather(
            *(later(generator.uniform(0, 20), chat_id) for chat_id in chats),
            *(flood_wait(when, seconds) for when, seconds in flood_waits),
        )
        return released

    sends = run_virtual(main())

    assert len(sends) == len(chats)
    assert_within_telegram_limits(sends)
    for when, seconds in flood_waits:
        assert not [at for at, _ in sends if when < at < when + seconds]


def test_penalise_pauses_every_waiting_message_and_keeps_their_order() -> None:
    async def main() -> tuple[list[tuple[float, int]], float]:
        pacer = virtual_pacer()

        async def flood_wait() -> None:
            await asyncio.sleep(1.01)
            pacer.penalise(5)

        sends, _ = await asyncio.gather(send_all(pacer, range(1, 101)), flood_wait())
        return sends, 1.01

    sends, penalised_at = run_virtual(main())

    assert not [at for at, _ in sends if penalised_at < at < penalised_at + 5]
    resumed = [chat_id for at, chat_id in sends if at >= penalised_at + 5]
    assert resumed and resumed == sorted(resumed)  # booked order kept
    assert [chat_id for _, chat_id in sends] == list(range(1, 101))
    assert_within_telegram_limits(sends)


def test_penalise_while_idle_delays_the_next_message() -> None:
    async def main() -> float:
        pacer = virtual_pacer()
        pacer.penalise(3)
        await pacer.acquire(1)
        return now()

    assert run_virtual(main()) == pytest.approx(3)


def test_an_idle_pacer_releases_at_once_without_storing_up_a_burst() -> None:
    async def main() -> tuple[list[tuple[float, int]], float]:
        pacer = virtual_pacer()
        await send_all(pacer, range(1, 31))
        await asyncio.sleep(60)
        resumed_at = now()
        return await send_all(pacer, range(31, 91)), resumed_at

    sends, resumed_at = run_virtual(main())

    assert sends[0][0] == resumed_at
    assert max_in_window((at for at, _ in sends), 1.0) <= 30


async def test_real_clock_defaults_work_without_injection() -> None:
    pacer = FloodPacer(TelegramLimits(per_second=1000))
    started = time.monotonic()
    await asyncio.gather(*(pacer.acquire(chat_id) for chat_id in range(1, 6)))
    assert time.monotonic() - started < 0.5
    assert pacer.rate == pytest.approx(1000 / 1.02)
