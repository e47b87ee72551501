"""In-process change notices for live pages (the room screen).

The participation service calls `notify(session_id)` after an answer is committed; live pages
`wait` on it instead of polling the database hard. A notice is a wake-up, not data: the page
re-reads the database. Each session has a counter, so a notice that arrives while the page is
busy reading is not lost: the next `wait(..., seen=...)` returns at once. Notices from another
process are not seen here; the page's poll fallback covers them. Notifying costs a dict update
and never blocks the answer path.
"""

from __future__ import annotations

import asyncio


class LiveNotifier:
    def __init__(self) -> None:
        self._events: dict[int, asyncio.Event] = {}
        self._versions: dict[int, int] = {}

    def version(self, session_id: int) -> int:
        """The session's notice counter; pass it to `wait` after reading the database."""
        return self._versions.get(session_id, 0)

    def notify(self, session_id: int) -> None:
        """Wake everyone waiting on this session; cheap enough for every answer."""
        self._versions[session_id] = self._versions.get(session_id, 0) + 1
        event = self._events.pop(session_id, None)
        if event is not None:
            event.set()

    def notify_all(self) -> None:
        """Wake every waiter (shutdown: live streams see it and end)."""
        for session_id in list(self._events):
            self.notify(session_id)

    async def wait(self, session_id: int, timeout: float, seen: int | None = None) -> bool:
        """True when a notice came after version `seen` (or, without it, within `timeout`
        seconds); False when the wait timed out."""
        if seen is not None and self.version(session_id) != seen:
            return True
        event = self._events.get(session_id)
        if event is None:
            event = self._events[session_id] = asyncio.Event()
        try:
            await asyncio.wait_for(event.wait(), timeout)
        except TimeoutError:
            return False
        return True
