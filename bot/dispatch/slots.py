"""When a broadcast request may leave: the FloodPacer's slot, taken at the last moment and kept.

Two adapters around bot.scheduling.pacing.FloodPacer, both measured on the benchmark's fake
Telegram, which refuses the 31st message in any one-second window as strictly as the limit reads:

* :class:`SendTimePacing` is the pacer deliver() sees. deliver() takes a slot and *then* writes
  "started" to the database; commits take from under a millisecond to tens of them, so requests
  released at evenly spaced slots reached Telegram unevenly. The slot is therefore taken by the
  sender, after the write (:class:`SendSlots`); deliver()'s `penalise` (a 429) is passed on.
  A recipient thus counts as started while it waits for its slot — nothing changes after a
  graceful stop, and after a crash it stays within the at most `concurrency` recipients in doubt
  that deliver() documents.
* :class:`SendSlots` takes the pacer's slot and keeps actual requests a full gap apart, overall and
  per chat. A task wakes late when the process pauses (a garbage collection took 130 ms on the
  benchmark machine); without this, every send whose slot passed meanwhile left at once and the
  burst put 31 requests within one second. Kept apart, no one-second window ever holds more than
  the limit, whatever happened before; after a pause the backlog leaves at the limit's pace.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from bot.scheduling.delivery import Pacer
from bot.scheduling.pacing import TelegramLimits


class SendTimePacing:
    """The Pacer handed to deliver(): no slot here (the sender takes it), flood waits passed on."""

    def __init__(self, pacer: Pacer) -> None:
        self.pacer = pacer

    async def acquire(self, chat_id: int) -> None:
        return None

    def penalise(self, seconds: float) -> None:
        self.pacer.penalise(seconds)


class SendSlots:
    """``await acquire(chat_id)`` right before each request: the pacer's slot, then the spacing."""

    def __init__(
        self,
        pacer: Pacer,
        limits: TelegramLimits,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        stretch = 1 + limits.margin
        self.pacer = pacer
        self._gap = stretch / limits.per_second
        self._private_gap = stretch * limits.private_chat_interval
        self._group_gap = stretch * 60 / limits.group_per_minute
        self._clock = clock
        self._sleep = sleep
        self._last = -float("inf")
        self._last_in_chat: dict[int, float] = {}

    async def acquire(self, chat_id: int) -> None:
        await self.pacer.acquire(chat_id)
        now = self._clock()
        chat_gap = self._group_gap if chat_id < 0 else self._private_gap
        at = max(now, self._last + self._gap, self._last_in_chat.get(chat_id, -float("inf")) + chat_gap)
        self._last = max(self._last, at)
        self._last_in_chat[chat_id] = at
        if len(self._last_in_chat) > 4096:  # forget chats whose gap is long over
            self._last_in_chat = {c: t for c, t in self._last_in_chat.items() if t > now - self._group_gap}
        if at > now:
            await self._sleep(at - now)
