"""Pace outgoing messages to stay inside Telegram's flood limits.

Telegram answers 429 (flood wait) to a bot that sends more than about 30 messages per second in
all, more than 1 per second to one chat, or more than 20 per minute to one group. The wait it
imposes is bot-wide, so one careless burst stalls every broadcast and reply for seconds.

Why a small slot scheduler and not ``aiolimiter`` (which PTB's AIORateLimiter uses):

* a leaky bucket of 30/s starts full and lets 30 messages out at once, then one every 1/30 s: the
  31st message then falls within the same second as the burst, which is exactly what a
  sliding-window limiter on the server punishes. Evenly spaced slots never put more than the
  limit in any window, whatever the window's start;
* it needs one limiter per chat on top of the global one, and acquiring them one after another
  wastes global capacity while a message waits for its chat;
* it reads the event loop's clock and sleeps for real, so tests would have to wait; here the clock
  and the sleep are injected.

Every message gets a *slot*: a time at least ``1/30 s`` (times ``1 + margin``) away from every
other booked slot, and at least the chat's interval after that chat's previous slot. A slot is the
earliest such time, so a message waiting for its chat does not hold up messages to other chats
(slots are filled in, not only appended). The small margin absorbs clock and network jitter.
"""

from __future__ import annotations

import asyncio
import math
import time
from bisect import bisect_right, insort
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from itertools import islice

# Waits shorter than this count as done: it keeps float rounding between the clock and the
# booked slot from turning into an endless series of zero-length sleeps.
_EPSILON = 1e-6
_PRUNE_EVERY = 1024


@dataclass(frozen=True, slots=True)
class TelegramLimits:
    """The limits to respect; the defaults are Telegram's published ones."""

    per_second: float = 30.0
    private_chat_interval: float = 1.0
    group_per_minute: float = 20.0
    margin: float = 0.02  # spacing is widened by this fraction


class _Slot:
    """A booked send time; mutable so that a flood wait can push every waiting slot back at once."""

    __slots__ = ("at",)

    def __init__(self, at: float) -> None:
        self.at = at


def _slot_time(slot: _Slot) -> float:
    return slot.at


class FloodPacer:
    """Hands out send times so a bot stays within Telegram's overall, per-chat and per-group limits.

    ``await acquire(chat_id)`` returns when one message to ``chat_id`` may be sent; call it once per
    message, right before sending. Messages to one chat get slots in the order ``acquire`` was
    called. After a 429, call ``penalise(retry_after)``: nothing is released until it has passed.
    Group chats are recognised by their negative ids (groups, supergroups and channels).
    """

    def __init__(
        self,
        limits: TelegramLimits = TelegramLimits(),
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        stretch = 1 + limits.margin
        self._overall_gap = stretch / limits.per_second
        self._private_gap = stretch * limits.private_chat_interval
        self._group_gap = stretch * 60 / limits.group_per_minute
        self._clock = clock
        self._sleep = sleep
        self._booked: list[_Slot] = []  # sorted by time; only recent and future ones are kept
        self._last_for_chat: dict[int, _Slot] = {}
        self._waiting: set[_Slot] = set()
        self._paused_until = -math.inf
        self._full_from = self._full_to = -math.inf
        self._bookings = 0

    @property
    def rate(self) -> float:
        """Messages per second when every message goes to a different chat."""
        return 1 / self._overall_gap

    async def acquire(self, chat_id: int) -> None:
        """Wait until a message to ``chat_id`` may be sent."""
        slot = self._book(chat_id)
        self._waiting.add(slot)
        try:
            # Loop: a flood wait may move the slot while we sleep.
            while (delay := slot.at - self._clock()) > _EPSILON:
                await self._sleep(delay)
        finally:
            self._waiting.discard(slot)

    def penalise(self, seconds: float) -> None:
        """Stop releasing messages for ``seconds`` (Telegram's ``retry_after``, which is bot-wide).

        Slots already booked move back together, so they keep their order and spacing.
        """
        now = self._clock()
        self._paused_until = max(self._paused_until, now + seconds)
        if not self._waiting:
            return
        shift = self._paused_until - min(slot.at for slot in self._waiting)
        if shift <= 0:
            return
        for slot in self._waiting:
            slot.at += shift
        self._booked.sort(key=_slot_time)
        self._full_from = self._full_to = -math.inf  # moving slots opened gaps

    def _book(self, chat_id: int) -> _Slot:
        now = self._clock()
        self._forget_past(now)
        previous = self._last_for_chat.get(chat_id)
        earliest = max(now, self._paused_until, previous.at + self._chat_gap(chat_id) if previous else now)
        slot = _Slot(self._first_free(earliest))
        insort(self._booked, slot, key=_slot_time)
        self._last_for_chat[chat_id] = slot
        return slot

    def _first_free(self, earliest: float) -> float:
        """The earliest time from ``earliest`` on that is a full gap away from every booked slot.

        Scanning the booked slots is linear, and a broadcast books hundreds back to back; so the
        span known to have no free time left (``_full_from`` to ``_full_to``) is remembered and
        skipped. Booking only ever fills time, so the span stays true until a flood wait moves
        slots (see :meth:`penalise`).
        """
        gap = self._overall_gap
        inside = self._full_from <= earliest < self._full_to
        candidate = self._full_to if inside else earliest
        start = bisect_right(self._booked, candidate - gap, key=_slot_time)
        for slot in islice(self._booked, start, None):
            if slot.at >= candidate + gap:
                break
            candidate = max(candidate, slot.at + gap)
        if inside:
            self._full_to = candidate + gap
        elif self._full_to <= self._clock():
            self._full_from, self._full_to = earliest, candidate + gap
        return candidate

    def _chat_gap(self, chat_id: int) -> float:
        return self._group_gap if chat_id < 0 else self._private_gap

    def _forget_past(self, now: float) -> None:
        """Drop slots too old to constrain any new booking, so memory stays bounded.

        A slot still waiting (its task has not woken yet) is kept: a flood wait may move it ahead.
        """
        horizon = now - self._overall_gap
        stale = 0
        while stale < len(self._booked) and self._booked[stale].at < horizon and self._booked[stale] not in self._waiting:
            stale += 1
        del self._booked[:stale]
        self._bookings += 1
        if self._bookings % _PRUNE_EVERY == 0:
            self._last_for_chat = {
                chat_id: slot
                for chat_id, slot in self._last_for_chat.items()
                if slot in self._waiting or slot.at + self._chat_gap(chat_id) > now
            }
