"""Keeps broadcast requests a full gap apart at the moment they leave.

deliver() takes the FloodPacer's slot, *then* claims the part in the database, then hands it to the
sender. Commits take from under a millisecond to tens of them, so requests released at evenly
spaced slots would reach Telegram unevenly; and a task wakes late when the process pauses (a
garbage collection took 130 ms on the benchmark machine), after which every send whose slot
passed meanwhile would leave at once — measured on the benchmark's fake Telegram, which refuses
the 31st message in any one-second window as strictly as the limit reads, that burst put 31
requests within one second.

:class:`RequestSpacing` is awaited by the sender right before each request: it keeps requests a
full gap apart, overall and per chat, whatever happened before. After a pause the backlog leaves
at the limit's pace. Per chat it also counts from when the chat's previous request was *answered*
(the sender reports it): a request can stall between leaving our code and reaching Telegram (the
process descheduled on a busy machine: up to 0.1 s measured at a load of 9 on 2 cores), so two
requests spaced by their departure could still arrive less than a second apart; one sent a full
gap after the previous answer cannot, since that answer came after its request arrived. It only ever delays, so the pacer's promise holds, and the delay is short
(the claim's commit, or a pause): the time a part spends claimed stays small, which is what
bounds what a crash leaves in doubt.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from bot.scheduling.pacing import TelegramLimits


class RequestSpacing:
    """``await wait(chat_id)`` right before each request."""

    def __init__(
        self,
        limits: TelegramLimits,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        stretch = 1 + limits.margin
        self._gap = stretch / limits.per_second
        self._private_gap = stretch * limits.private_chat_interval
        self._group_gap = stretch * 60 / limits.group_per_minute
        self._clock = clock
        self._sleep = sleep
        self._last = -float("inf")
        self._last_in_chat: dict[int, float] = {}

    async def wait(self, chat_id: int) -> None:
        now = self._clock()
        chat_gap = self._group_gap if chat_id < 0 else self._private_gap
        at = max(now, self._last + self._gap, self._last_in_chat.get(chat_id, -float("inf")) + chat_gap)
        self._last = max(self._last, at)
        self._last_in_chat[chat_id] = at
        if len(self._last_in_chat) > 4096:  # forget chats whose gap is long over
            self._last_in_chat = {c: t for c, t in self._last_in_chat.items() if t > now - self._group_gap}
        if at > now:
            await self._sleep(at - now)

    def answered(self, chat_id: int) -> None:
        """The chat's last request got its answer (or failed): the next one waits a gap from now."""
        self._last_in_chat[chat_id] = max(self._last_in_chat.get(chat_id, -float("inf")), self._clock())
