"""Small writes collected for a moment and committed together.

Marking an update processed after a handler that wrote nothing, or an owed reply as sent, needs
no transaction of its own: losing the last fraction of a second of these marks in a crash only
means an update is looked at again (idempotently) or a reply is sent twice, so they are written
in one statement every `delay` seconds instead of one commit per message.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database

log = logging.getLogger(__name__)

Apply = Callable[[AsyncSession, list[int]], Awaitable[None]]


class BatchedIds:
    """Ids waiting for one write (`apply`), flushed `delay` seconds after the first arrived."""

    def __init__(self, db: Database, apply: Apply, *, delay: float = 0.2, what: str = "marks") -> None:
        self.db = db
        self._apply = apply
        self._delay = delay
        self._what = what
        self._ids: list[int] = []
        self._timer: asyncio.Task[None] | None = None
        self._writing = False

    def add(self, *ids: int) -> None:
        self._ids.extend(ids)
        if self._timer is None or self._timer.done():
            self._timer = asyncio.get_running_loop().create_task(self._flush_later(), name=f"flush {self._what}")

    def take(self) -> list[int]:
        """Hand the waiting ids to a caller that writes them in its own transaction."""
        ids, self._ids = self._ids, []
        return ids

    async def flush(self) -> None:
        ids = self.take()
        if not ids:
            return
        self._writing = True
        try:
            async with self.db.session() as db:
                await self._apply(db, ids)
        except Exception:  # the database is away: keep them for the next flush
            log.warning("could not write %d %s; retrying later", len(ids), self._what, exc_info=True)
            self._ids[:0] = ids
        finally:
            self._writing = False

    async def close(self) -> None:
        """Write what is waiting (a clean stop loses none of it). A write under way is awaited,
        never cancelled: a connection cut off mid-transaction would keep SQLite locked."""
        timer = self._timer
        if timer is not None and not timer.done():
            if not self._writing:
                timer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await timer
        await self.flush()

    async def _flush_later(self) -> None:
        await asyncio.sleep(self._delay)
        await self.flush()
