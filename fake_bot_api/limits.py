"""Telegram's flood limits: 30 messages a second overall, 1 a second per private chat, 20 a
minute per group; a send past them gets 429 with ``retry_after``."""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FloodLimits:
    """Telegram's flood limits for messages; each one is off when ``None``.

    Telegram does not document exact algorithms, so each limit is a strict sliding window:
    ``per_chat_per_second=1`` refuses a second message to the same private chat within 1.0 s.
    ``per_chat_per_second`` applies to private chats (positive ids), ``per_group_per_minute``
    to groups (negative ids). Only methods that create messages count; edits, callback answers
    and chat actions do not.
    """

    overall_per_second: int | None = 30
    per_chat_per_second: int | None = 1
    per_group_per_minute: int | None = 20
    enforce: bool = True


class _SlidingWindow:
    """At most ``limit`` events in any window of ``seconds``."""

    __slots__ = ("_stamps", "limit", "seconds")

    def __init__(self, limit: int, seconds: float) -> None:
        self.limit = limit
        self.seconds = seconds
        self._stamps: deque[float] = deque()

    def wait_time(self, now: float) -> float:
        stamps = self._stamps
        while stamps and stamps[0] <= now - self.seconds:
            stamps.popleft()
        return 0.0 if len(stamps) < self.limit else stamps[0] + self.seconds - now

    def add(self, now: float) -> None:
        self._stamps.append(now)


class FloodGate:
    """Admits or refuses message sends according to :class:`FloodLimits`."""

    def __init__(self, limits: FloodLimits) -> None:
        self._limits = limits
        overall = limits.overall_per_second
        self._overall = _SlidingWindow(overall, 1.0) if overall else None
        self._chats: dict[int, _SlidingWindow | None] = {}

    def admit(self, chat_id: int, now: float) -> int:
        """0 when the send may go out (it is then counted), else retry_after in whole seconds."""
        windows = [window for window in (self._overall, self._chat_window(chat_id)) if window]
        wait = max((window.wait_time(now) for window in windows), default=0.0)
        if wait > 0:
            return max(1, math.ceil(wait))
        for window in windows:
            window.add(now)
        return 0

    def _chat_window(self, chat_id: int) -> _SlidingWindow | None:
        if chat_id not in self._chats:
            if chat_id > 0:
                limit, seconds = self._limits.per_chat_per_second, 1.0
            else:
                limit, seconds = self._limits.per_group_per_minute, 60.0
            self._chats[chat_id] = _SlidingWindow(limit, seconds) if limit else None
        return self._chats[chat_id]
