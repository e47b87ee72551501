"""In-process change notices for live pages (the room screen).

The participation service calls `notify(session_id)` after an answer is committed; live pages
`wait` on it instead of polling the database hard. A notice is a wake-up, not data: the page
re-reads the database, so a notice that is lost (another process stored the answer, or the
page was between waits) only delays the update until the page's poll fallback runs.
Notifying costs one dict lookup and never blocks the answer path.
"""

from __future__ import annotations

import asyncio


class LiveNotifier:
    def __init__(self) -> None:
        self._events: dict[int, asyncio.Event] = {}

    def notify(self, session_id: int) -> None:
        """Wake everyone waiting on this session; cheap enough for every answer."""
        event = self._events.pop(session_id, None)
        if event is not None:
            event.set()

    async def wait(self, session_id: int, timeout: float) -> bool:
        """True when a notice arrived within `timeout` seconds, False when it timed out."""
        event = self._events.get(session_id)
        if event is None:
            event = self._events[session_id] = asyncio.Event()
        try:
            await asyncio.wait_for(event.wait(), timeout)
        except TimeoutError:
            return False
        return True
